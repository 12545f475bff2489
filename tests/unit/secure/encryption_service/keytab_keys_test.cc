#include "secure/encryption_service/keytab_keys.h"

#include <doctest/doctest.h>
#include <krb5.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include <fstream>
#include <string>

#include "../lab_ca.h"

using namespace bh;
using namespace bh::secure::encryption_service;

namespace {

/// Writes a keytab with MIT krb5's own writer (krb5_kt_add_entry), so the reader is checked
/// against the library's file format, not against ours.
void addEntry(const std::string& path, const std::string& principal, uint32_t kvno, int32_t etype,
              const Bytes& key) {
  krb5_context ctx = nullptr;
  REQUIRE(krb5_init_context(&ctx) == 0);
  krb5_keytab kt = nullptr;
  std::string name = "WRFILE:" + path;
  REQUIRE(krb5_kt_resolve(ctx, name.c_str(), &kt) == 0);
  krb5_keytab_entry e{};
  REQUIRE(krb5_parse_name(ctx, principal.c_str(), &e.principal) == 0);
  e.vno = kvno;
  e.key.enctype = etype;
  e.key.length = static_cast<unsigned int>(key.size());
  e.key.contents = const_cast<krb5_octet*>(key.data());
  REQUIRE(krb5_kt_add_entry(ctx, kt, &e) == 0);
  krb5_free_principal(ctx, e.principal);
  krb5_kt_close(ctx, kt);
  krb5_free_context(ctx);
}

}  // namespace

TEST_CASE("keytab keys: every kvno and etype of the SPN, whatever the case, nothing else") {
  bh::secure::test::TempDir t;
  std::string path = (t.path / "exch1.keytab").string();
  addEntry(path, "exchangeMDB/exch1.example.com@EXAMPLE.COM", 2, kEtypeAes256, Bytes(32, 0x11));
  addEntry(path, "exchangeMDB/exch1.example.com@EXAMPLE.COM", 2, kEtypeRc4, Bytes(16, 0x22));
  addEntry(path, "exchangeMDB/exch1.example.com@EXAMPLE.COM", 1, kEtypeAes256, Bytes(32, 0x33));
  addEntry(path, "host/other.example.com@EXAMPLE.COM", 4, kEtypeAes256, Bytes(32, 0x44));

  auto entries = readKeytab(path);
  REQUIRE(entries.ok());
  CHECK(entries.value().size() == 4);
  auto r =
      keysForSpn(entries.value(), "exchangemdb/EXCH1.example.com", "example.com", "keytab " + path);
  REQUIRE(r.ok);
  CHECK(r.keys.keys.size() == 3);
  REQUIRE(r.keys.find(kEtypeAes256, 2) != nullptr);
  CHECK(r.keys.find(kEtypeAes256, 2)->value == Bytes(32, 0x11));
  CHECK(r.keys.find(kEtypeRc4, 2)->value == Bytes(16, 0x22));
  CHECK(r.keys.find(kEtypeAes256, 1)->value == Bytes(32, 0x33));
  CHECK(r.keys.kvno() == 2);
  CHECK(r.keys.account == "exchangeMDB/exch1.example.com@EXAMPLE.COM");
  CHECK(r.keys.source == "keytab " + path);

  auto none = keysForSpn(entries.value(), "exchangeMDB/exch2.example.com", "EXAMPLE.COM", path);
  CHECK_FALSE(none.ok);
  CHECK(none.error.kind == RetrievalFailure::NoKeyInKeytab);
  CHECK(none.error.detail.find("host/other.example.com@EXAMPLE.COM") != std::string::npos);
  CHECK(none.error.detail.find("exchangeMDB/exch1.example.com@EXAMPLE.COM") != std::string::npos);
  // Another realm is another principal.
  CHECK_FALSE(keysForSpn(entries.value(), "exchangeMDB/exch1.example.com", "OTHER.COM", path).ok);
}

TEST_CASE("keytab keys: a missing, garbage or cut keytab is a named failure, no crash") {
  bh::secure::test::TempDir t;
  auto missing = readKeytab((t.path / "none.keytab").string());
  CHECK_FALSE(missing.ok());
  CHECK(missing.error().find("none.keytab") != std::string::npos);

  std::string garbage = (t.path / "garbage.keytab").string();
  std::ofstream(garbage) << "this is not a keytab at all, just text";
  CHECK_FALSE(readKeytab(garbage).ok());

  // A keytab cut in the middle of an entry.
  std::string full = (t.path / "full.keytab").string();
  addEntry(full, "exchangeMDB/x.example.com@EXAMPLE.COM", 2, kEtypeAes256, Bytes(32, 0x55));
  std::ifstream in(full, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (size_t cut : {size_t{1}, size_t{2}, size_t{10}, bytes.size() - 1}) {
    CAPTURE(cut);
    std::string part = (t.path / ("cut" + std::to_string(cut))).string();
    std::ofstream(part, std::ios::binary) << bytes.substr(0, cut);
    // MIT krb5 takes a cut last entry as the keytab's end: either a named failure, or no
    // entry; never a partial key.
    // MIT krb5 1.20 does not free the principal of an entry whose key is cut off (its
    // internal_read_entry error path): 44 bytes inside libkrb5 per damaged keytab read, not
    // ours to free. LeakSanitizer is told to ignore what is allocated during this one call.
#if defined(__SANITIZE_ADDRESS__)
    __lsan_disable();
#endif
    auto c = readKeytab(part);
#if defined(__SANITIZE_ADDRESS__)
    __lsan_enable();
#endif
    if (c.ok()) {
      CHECK(c.value().empty());
    } else {
      CHECK(c.error().find("5555") == std::string::npos);
    }
  }
}
