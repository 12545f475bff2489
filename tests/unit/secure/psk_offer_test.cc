#include "secure/psk_offer.h"

#include <doctest/doctest.h>

using namespace bh;
using namespace bh::secure;

// OfferedPsks (RFC 8446 section 4.2.11): identities<7..2^16-1>, binders<33..2^16-1>.
TEST_CASE("psk offer: identities of a pre_shared_key extension") {
  Bytes ext = {0x00, 0x13,                             // identities: 19 bytes
               0x00, 0x03, 'a', 'b', 'c', 0, 0, 0, 1,  // "abc", age
               0x00, 0x02, 'd', 'e', 0,   0, 0, 2,     // "de", age
               0x00, 0x00};                            // (fixed below)
  ext[1] = 17;
  ext.resize(2 + 17);
  Bytes binders = {0x00, 0x21, 0x20};
  binders.resize(2 + 33, 0x55);
  ext.insert(ext.end(), binders.begin(), binders.end());
  std::vector<ByteSpan> ids;
  REQUIRE(parseOfferedPskIdentities(ext, ids).ok());
  REQUIRE(ids.size() == 2);
  CHECK(Bytes(ids[0].begin(), ids[0].end()) == Bytes{'a', 'b', 'c'});
  CHECK(Bytes(ids[1].begin(), ids[1].end()) == Bytes{'d', 'e'});

  SUBCASE("every truncation is an error, never a read past the end") {
    for (size_t n = 0; n < ext.size(); ++n) {
      CHECK_FALSE(parseOfferedPskIdentities(ByteSpan(ext).first(n), ids).ok());
      CHECK(ids.empty());
    }
  }
  SUBCASE("an identity longer than its list") {
    Bytes bad = ext;
    bad[3] = 0x40;
    CHECK_FALSE(parseOfferedPskIdentities(bad, ids).ok());
  }
  SUBCASE("an empty identity") {
    Bytes bad = ext;
    bad[3] = 0;
    CHECK_FALSE(parseOfferedPskIdentities(bad, ids).ok());
  }
  SUBCASE("trailing bytes after the binders") {
    Bytes bad = ext;
    bad.push_back(0);
    CHECK_FALSE(parseOfferedPskIdentities(bad, ids).ok());
  }
}
