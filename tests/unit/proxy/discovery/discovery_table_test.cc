#include <doctest/doctest.h>

// The discovery table (proxy/discovery/discovery_table.h): what the SYN handler learnt about a
// flow waits here for the accept, bounded (the oldest entry goes when full) and expiring (a SYN
// that never completed leaves nothing behind).

#include "proxy/discovery/discovery_table.h"

using bh::IpAddress;
using bh::policy::FlowKey;
using bh::proxy::DiscoveryEntry;
using bh::proxy::DiscoveryTable;

namespace {

constexpr uint64_t kSecond = 1'000'000'000ULL;

FlowKey flow(uint16_t srcPort, const char* src = "10.91.1.10", const char* dst = "10.91.4.2") {
  return {*IpAddress::parse(src), *IpAddress::parse(dst), srcPort, 6001};
}

DiscoveryEntry asking(uint8_t policy) {
  DiscoveryEntry e;
  e.requestedPolicy = policy;
  return e;
}

}  // namespace

TEST_CASE("an entry is found until it is taken, and taken once") {
  DiscoveryTable t(8, 30 * kSecond);
  CHECK(t.put(flow(40000), asking(7), 1));
  REQUIRE(t.find(flow(40000), 2) != nullptr);
  CHECK(t.find(flow(40000), 2)->requestedPolicy == 7);
  CHECK(t.find(flow(40000), 2)->createdNs == 1);
  CHECK(t.find(flow(40001), 2) == nullptr);  // another source port: another flow
  auto taken = t.take(flow(40000), 3);
  REQUIRE(taken.has_value());
  CHECK(taken->requestedPolicy == 7);
  CHECK_FALSE(t.take(flow(40000), 4).has_value());
  CHECK(t.size() == 0);
}

TEST_CASE("a second SYN of the same flow replaces its entry, not adds one") {
  DiscoveryTable t(8, 30 * kSecond);
  CHECK(t.put(flow(40000), asking(1), 1));
  CHECK(t.put(flow(40000), asking(2), 5));
  CHECK(t.size() == 1);
  CHECK(t.find(flow(40000), 6)->requestedPolicy == 2);
  CHECK(t.find(flow(40000), 6)->createdNs == 5);
}

TEST_CASE("the key tells families, addresses and both ports apart") {
  DiscoveryTable t(8, 30 * kSecond);
  t.put(flow(40000, "10.0.0.1", "10.0.0.2"), asking(1), 1);
  t.put(flow(40000, "::ffff:10.0.0.1", "::ffff:10.0.0.2"), asking(2), 1);  // v6, not v4
  t.put(flow(40000, "10.0.0.2", "10.0.0.1"), asking(3), 1);                // reversed
  FlowKey otherDst = flow(40000, "10.0.0.1", "10.0.0.2");
  otherDst.dstPort = 6002;
  t.put(otherDst, asking(4), 1);
  CHECK(t.size() == 4);
  CHECK(t.find(flow(40000, "10.0.0.1", "10.0.0.2"), 2)->requestedPolicy == 1);
  CHECK(t.find(otherDst, 2)->requestedPolicy == 4);
}

TEST_CASE("an entry nobody picks up expires after its lifetime") {
  DiscoveryTable t(8, 30 * kSecond);
  t.put(flow(40000), asking(1), 0);
  t.put(flow(40001), asking(1), 20 * kSecond);
  CHECK(t.find(flow(40000), 30 * kSecond) != nullptr);  // at its lifetime: still there
  CHECK(t.find(flow(40000), 30 * kSecond + 1) == nullptr);
  CHECK(t.size() == 1);  // find dropped it
  t.expire(51 * kSecond);
  CHECK(t.size() == 0);
  CHECK(t.evictions() == 0);  // expiry is not eviction
}

TEST_CASE("cap: a full table evicts its oldest live entry and says so") {
  DiscoveryTable t(4, 30 * kSecond);
  for (uint16_t i = 0; i < 4; ++i) {
    CHECK(t.put(flow(40000 + i), asking(1), 10 + i));
  }
  CHECK(t.size() == 4);
  CHECK_FALSE(t.put(flow(41000), asking(2), 20));  // full: the oldest (40000) goes
  CHECK(t.size() == 4);
  CHECK(t.evictions() == 1);
  CHECK(t.find(flow(40000), 21) == nullptr);
  CHECK(t.find(flow(40001), 21) != nullptr);
  CHECK(t.find(flow(41000), 21) != nullptr);
  // Thousands of SYNs that never complete leave at most the cap behind.
  for (uint16_t i = 0; i < 5000; ++i) {
    t.put(flow(10000 + i, "10.91.1.11"), asking(1), 30 + i);
  }
  CHECK(t.size() == 4);
  CHECK(t.evictions() == 5001);
}

TEST_CASE("cap: when full, expired entries make room before a live one is evicted") {
  DiscoveryTable t(2, 30 * kSecond);
  t.put(flow(40000), asking(1), 0);
  t.put(flow(40001), asking(1), 40 * kSecond);
  CHECK(t.put(flow(40002), asking(1), 40 * kSecond));  // 40000 had expired: no eviction
  CHECK(t.evictions() == 0);
  CHECK(t.find(flow(40001), 41 * kSecond) != nullptr);
}
