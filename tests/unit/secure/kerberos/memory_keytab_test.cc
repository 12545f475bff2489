// secure/kerberos/memory_keytab: a `machine` identity's keytab, read at start, becomes a MEMORY
// keytab holding exactly its keys, of a name no one else resolves, gone (zeroed by MIT) when
// dropped; and a credential from keys without the principal's is named before any KDC is asked.
#include "secure/kerberos/memory_keytab.h"

#include <doctest/doctest.h>
#include <krb5.h>

#include <string>
#include <vector>

#include "common/bytes.h"
#include "secure/kerberos/gss_credential.h"

using namespace bh::secure::kerberos;

namespace {

struct Context {
  krb5_context ctx = nullptr;
  Context() { REQUIRE(krb5_init_context(&ctx) == 0); }
  ~Context() { krb5_free_context(ctx); }
};

struct Seen {
  std::string principal;
  int32_t enctype;
  uint32_t kvno;
  bh::Bytes key;
  bool operator==(const Seen&) const = default;
};

std::vector<Seen> entriesOf(krb5_context ctx, const std::string& name) {
  std::vector<Seen> out;
  krb5_keytab kt = nullptr;
  REQUIRE(krb5_kt_resolve(ctx, name.c_str(), &kt) == 0);
  krb5_kt_cursor cursor = nullptr;
  REQUIRE(krb5_kt_start_seq_get(ctx, kt, &cursor) == 0);
  krb5_keytab_entry e;
  while (krb5_kt_next_entry(ctx, kt, &e, &cursor) == 0) {
    char* p = nullptr;
    REQUIRE(krb5_unparse_name(ctx, e.principal, &p) == 0);
    out.push_back(
        {p, e.key.enctype, e.vno, bh::Bytes(e.key.contents, e.key.contents + e.key.length)});
    krb5_free_unparsed_name(ctx, p);
    krb5_free_keytab_entry_contents(ctx, &e);
  }
  krb5_kt_end_seq_get(ctx, kt, &cursor);
  krb5_kt_close(ctx, kt);  // our reference only: a MemoryKeytab still alive keeps its entries
  return out;
}

const bh::Bytes kAes256(32, 0xa5);
const bh::Bytes kAes128(16, 0x5a);
const bh::Bytes kRc4(16, 0x17);

std::vector<KeytabKey> coreKeys() {
  return {{"BHCORE$@BHLAB.TEST", 18, 2, kAes256},
          {"BHCORE$@BHLAB.TEST", 17, 2, kAes128},
          {"host/bhcore.bhlab.test@BHLAB.TEST", 23, 3, kRc4}};
}

}  // namespace

TEST_CASE("memory keytab: holds exactly the keys given, under a random name, gone when dropped") {
  Context c;
  auto keys = coreKeys();
  krb5_error_code e = -1;
  auto kt = MemoryKeytab::fill(c.ctx, keys, e);
  REQUIRE(kt != nullptr);
  CHECK(e == 0);
  CHECK(kt->name().rfind("MEMORY:bh-", 0) == 0);
  CHECK(kt->name().size() == std::string("MEMORY:bh-").size() + 32);

  std::vector<Seen> seen = entriesOf(c.ctx, kt->name());
  std::vector<Seen> want = {{"host/bhcore.bhlab.test@BHLAB.TEST", 23, 3, kRc4},
                            {"BHCORE$@BHLAB.TEST", 17, 2, kAes128},
                            {"BHCORE$@BHLAB.TEST", 18, 2, kAes256}};  // MIT prepends each add
  CHECK(seen == want);

  // A second keytab of the same keys is another name: they never share entries.
  auto other = MemoryKeytab::fill(c.ctx, std::span<const KeytabKey>(keys).first(1), e);
  REQUIRE(other != nullptr);
  CHECK(other->name() != kt->name());
  CHECK(entriesOf(c.ctx, other->name()).size() == 1);
  CHECK(entriesOf(c.ctx, kt->name()).size() == 3);

  // Dropped: MIT freed the entries with the last reference; resolving the name again makes a
  // new, empty keytab.
  std::string name = kt->name();
  kt.reset();
  CHECK(entriesOf(c.ctx, name).empty());
}

TEST_CASE("memory keytab: a principal that does not parse is krb5's error, nothing kept") {
  Context c;
  std::vector<KeytabKey> keys = {{"a@b@c", 18, 1, kAes256}};
  krb5_error_code e = 0;
  auto kt = MemoryKeytab::fill(c.ctx, keys, e);
  CHECK(kt == nullptr);
  CHECK(e == KRB5_PARSE_MALFORMED);
}

TEST_CASE("credential from keys in memory: a principal not among them is KeytabNoKey, no KDC") {
  // No KDC is configured for BHLAB.TEST here: the key is looked up before any is asked.
  GssStatus status;
  auto keys = coreKeys();
  auto cred = GssCredential::withKeytabKeys("OTHER$@BHLAB.TEST", keys, status);
  CHECK(cred == nullptr);
  CHECK(status.failure == GssFailure::KeytabNoKey);
  CHECK(status.describe().find("OTHER$@BHLAB.TEST") != std::string::npos);
  auto none = GssCredential::withKeytabKeys("BHCORE$@BHLAB.TEST", {}, status);
  CHECK(none == nullptr);
  CHECK(status.failure == GssFailure::KeytabNoKey);
}
