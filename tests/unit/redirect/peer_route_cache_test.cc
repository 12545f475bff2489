#include "redirect/peer_route_cache.h"

#include <doctest/doctest.h>

namespace bh::redirect {
namespace {

IpAddress addr(uint32_t host) {
  return IpAddress::v4(0x0a000000u | host);
}

constexpr uint64_t kSecond = 1000ull * 1000 * 1000;

TEST_CASE("peer route cache: install once, refresh after the interval, never in between") {
  PeerRouteCache c(8, 30 * kSecond);
  CHECK(c.use(addr(1), 0).action == PeerRouteCache::Action::Install);
  CHECK(c.use(addr(1), 29 * kSecond).action == PeerRouteCache::Action::None);
  CHECK(c.use(addr(1), 30 * kSecond).action == PeerRouteCache::Action::Refresh);
  // Refreshed at 30 s: the next check is due at 60 s.
  CHECK(c.use(addr(1), 59 * kSecond).action == PeerRouteCache::Action::None);
  CHECK(c.use(addr(1), 60 * kSecond).action == PeerRouteCache::Action::Refresh);
  CHECK(c.size() == 1);
}

TEST_CASE("peer route cache: the cap holds, and the route used longest ago goes first") {
  PeerRouteCache c(3, 30 * kSecond);
  for (uint32_t i = 1; i <= 3; ++i) {
    auto s = c.use(addr(i), i);
    CHECK(s.action == PeerRouteCache::Action::Install);
    CHECK_FALSE(s.evict);
  }
  c.use(addr(1), 10);  // 1 is now the most recently used; 2 the least
  auto s = c.use(addr(4), 11);
  CHECK(s.action == PeerRouteCache::Action::Install);
  REQUIRE(s.evict);
  CHECK(*s.evict == addr(2));
  CHECK(c.size() == 3);
  CHECK(c.peers() == std::vector<IpAddress>{addr(4), addr(1), addr(3)});
  // A thousand more peers never grow it past the cap.
  for (uint32_t i = 100; i < 1100; ++i) {
    c.use(addr(i), 20 + i);
    CHECK(c.size() <= 3);
  }
  CHECK(c.size() == 3);
}

TEST_CASE("peer route cache: clear empties it; everything is installed again") {
  PeerRouteCache c(2, 30 * kSecond);
  CHECK(c.use(addr(1), 1).action == PeerRouteCache::Action::Install);
  c.use(addr(2), 2);
  c.clear();
  CHECK(c.size() == 0);
  CHECK(c.use(addr(2), 3).action == PeerRouteCache::Action::Install);
  CHECK_FALSE(c.use(addr(3), 4).evict);
}

TEST_CASE("peer route cache: a zero cap still keeps one entry") {
  PeerRouteCache c(0, kSecond);
  CHECK(c.capacity() == 1);
  c.use(addr(1), 0);
  auto s = c.use(addr(2), 0);
  REQUIRE(s.evict);
  CHECK(*s.evict == addr(1));
}

}  // namespace
}  // namespace bh::redirect
