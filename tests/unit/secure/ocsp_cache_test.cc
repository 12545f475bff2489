#include "secure/ocsp_cache.h"

#include <doctest/doctest.h>

using namespace bh;
using namespace bh::secure;

namespace {

OcspAnswer answer(OcspCertStatus s, time_t nextUpdate) {
  OcspAnswer a;
  a.status = s;
  a.thisUpdate = 1000;
  a.nextUpdate = nextUpdate;
  return a;
}

}  // namespace

TEST_CASE("ocsp cache: an answer holds until its nextUpdate, then goes") {
  OcspCache c;
  Bytes id{1, 2, 3};
  c.store(id, answer(OcspCertStatus::Revoked, 2000), 1500);
  REQUIRE(c.lookup(id, 1999).has_value());
  CHECK(c.lookup(id, 1999)->status == OcspCertStatus::Revoked);
  CHECK_FALSE(c.lookup(id, 2000).has_value());
  CHECK(c.size() == 0);
}

TEST_CASE("ocsp cache: errors, answers without nextUpdate and stale ones are not kept") {
  OcspCache c;
  c.store({1}, answer(OcspCertStatus::Error, 5000), 1000);
  c.store({2}, answer(OcspCertStatus::Good, 0), 1000);
  c.store({3}, answer(OcspCertStatus::Good, 900), 1000);
  CHECK(c.size() == 0);
}

TEST_CASE("ocsp cache: at most maxEntries answers, the oldest goes first") {
  OcspCache c(3);
  for (uint8_t i = 0; i < 10; ++i) {
    c.store({i}, answer(OcspCertStatus::Good, 5000), 1000);
    CHECK(c.size() <= 3);
  }
  CHECK_FALSE(c.lookup({6}, 1000).has_value());
  CHECK(c.lookup({9}, 1000).has_value());
}
