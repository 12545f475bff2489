#include "secure/encryption_service/keytab_keys.h"

#include <doctest/doctest.h>
#include <krb5.h>

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

  auto r = readKeytabKeys(path, "exchangemdb/EXCH1.example.com", "example.com");
  REQUIRE(r.ok);
  CHECK(r.keys.keys.size() == 3);
  REQUIRE(r.keys.find(kEtypeAes256, 2) != nullptr);
  CHECK(r.keys.find(kEtypeAes256, 2)->value == Bytes(32, 0x11));
  CHECK(r.keys.find(kEtypeRc4, 2)->value == Bytes(16, 0x22));
  CHECK(r.keys.find(kEtypeAes256, 1)->value == Bytes(32, 0x33));
  CHECK(r.keys.kvno() == 2);
  CHECK(r.keys.account == "exchangeMDB/exch1.example.com@EXAMPLE.COM");
  CHECK(r.keys.source == "keytab " + path);

  auto none = readKeytabKeys(path, "exchangeMDB/exch2.example.com", "EXAMPLE.COM");
  CHECK_FALSE(none.ok);
  CHECK(none.error.kind == RetrievalFailure::NoKeyInKeytab);
  CHECK(none.error.detail.find("host/other.example.com@EXAMPLE.COM") != std::string::npos);
  CHECK(none.error.detail.find("exchangeMDB/exch1.example.com@EXAMPLE.COM") != std::string::npos);
  // Another realm is another principal.
  CHECK_FALSE(readKeytabKeys(path, "exchangeMDB/exch1.example.com", "OTHER.COM").ok);
}

TEST_CASE("keytab keys: a missing, empty or garbage keytab is a named failure, no crash") {
  bh::secure::test::TempDir t;
  auto missing =
      readKeytabKeys((t.path / "none.keytab").string(), "exchangeMDB/x.example.com", "EXAMPLE.COM");
  CHECK_FALSE(missing.ok);
  CHECK(missing.error.kind == RetrievalFailure::CredentialUnreadable);
  CHECK(missing.error.detail.find("none.keytab") != std::string::npos);

  std::string garbage = (t.path / "garbage.keytab").string();
  std::ofstream(garbage) << "this is not a keytab at all, just text";
  auto g = readKeytabKeys(garbage, "exchangeMDB/x.example.com", "EXAMPLE.COM");
  CHECK_FALSE(g.ok);
  CHECK(g.error.kind == RetrievalFailure::CredentialUnreadable);

  // A keytab cut in the middle of an entry.
  std::string full = (t.path / "full.keytab").string();
  addEntry(full, "exchangeMDB/x.example.com@EXAMPLE.COM", 2, kEtypeAes256, Bytes(32, 0x55));
  std::ifstream in(full, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (size_t cut : {size_t{1}, size_t{2}, size_t{10}, bytes.size() - 1}) {
    CAPTURE(cut);
    std::string part = (t.path / ("cut" + std::to_string(cut))).string();
    std::ofstream(part, std::ios::binary) << bytes.substr(0, cut);
    auto c = readKeytabKeys(part, "exchangeMDB/x.example.com", "EXAMPLE.COM");
    CHECK_FALSE(c.ok);
    CHECK(c.error.detail.find("5555") == std::string::npos);
  }
}
