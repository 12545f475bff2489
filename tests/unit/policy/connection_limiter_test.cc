#include "policy/connection_limiter.h"

#include <doctest/doctest.h>

#include <vector>

using namespace bh::policy;

namespace {

Limits smallLimits() {
  Limits l;
  l.connectionLimit = 12;
  l.effectiveLimit = 10;
  l.reservedMapiConnections = 4;
  l.mapiReservePerGroup = 2;
  return l;
}

}  // namespace

TEST_CASE("generic flows are optimized up to the effective limit, then passed through") {
  ConnectionLimiter limiter(smallLimits());
  for (int i = 0; i < 10; ++i) {
    CHECK(limiter.admit(FlowKind::Generic) == Admission::Optimize);
  }
  CHECK(limiter.overloaded());
  CHECK(limiter.admit(FlowKind::Generic) == Admission::PassThroughOverload);
  CHECK(limiter.counters().active == 10);
  CHECK(limiter.counters().passThroughOverload == 1);
  limiter.release(Admission::Optimize);
  CHECK(limiter.admit(FlowKind::Generic) == Admission::Optimize);
  CHECK(limiter.counters().maxActive == 10);
  // Releasing a refused flow changes nothing.
  limiter.release(Admission::PassThroughOverload);
  CHECK(limiter.counters().active == 10);
}

TEST_CASE("a new association group reserves connections that count against the limit") {
  ConnectionLimiter limiter(smallLimits());
  CHECK(limiter.admit(FlowKind::NewGroup, 0x11de4) == Admission::Optimize);
  CHECK(limiter.counters().reservedUnused == 2);
  CHECK(limiter.counters().groups == 1);
  // 1 active + 2 reserved: 7 more generic flows fit under 10.
  for (int i = 0; i < 7; ++i) {
    CHECK(limiter.admit(FlowKind::Generic) == Admission::Optimize);
  }
  CHECK(limiter.admit(FlowKind::Generic) == Admission::PassThroughOverload);
  // A connection of the known group uses its reserve instead of escaping the group.
  CHECK(limiter.admit(FlowKind::KnownGroup, 0x11de4) == Admission::OptimizeFromReserve);
  CHECK(limiter.admit(FlowKind::KnownGroup, 0x11de4) == Admission::OptimizeFromReserve);
  CHECK(limiter.counters().reservedUnused == 0);
  CHECK(limiter.counters().active == 10);
  CHECK(limiter.counters().admittedFromReserve == 2);
  // The reserve is spent: a third connection of the group is refused like any other.
  CHECK(limiter.admit(FlowKind::KnownGroup, 0x11de4) == Admission::PassThroughOverload);
  // An unknown group has no reserve.
  CHECK(limiter.admit(FlowKind::KnownGroup, 0x999) == Admission::PassThroughOverload);
}

TEST_CASE("under the limit a known group keeps its reserve for later") {
  ConnectionLimiter limiter(smallLimits());
  limiter.admit(FlowKind::NewGroup, 1);
  CHECK(limiter.admit(FlowKind::KnownGroup, 1) == Admission::Optimize);
  CHECK(limiter.counters().reservedUnused == 2);
}

TEST_CASE("the reserved pool is capped and returns when a group ends") {
  ConnectionLimiter limiter(smallLimits());
  limiter.admit(FlowKind::NewGroup, 1);
  limiter.admit(FlowKind::NewGroup, 2);
  CHECK(limiter.admit(FlowKind::NewGroup, 3) == Admission::Optimize);
  CHECK(limiter.counters().reservedUnused == 4);
  CHECK(limiter.counters().groups == 2);
  CHECK(limiter.counters().reserveRefused == 1);
  limiter.endGroup(1);
  CHECK(limiter.counters().reservedUnused == 2);
  CHECK(limiter.counters().groups == 1);
  limiter.endGroup(1);  // twice is harmless
  CHECK(limiter.counters().reservedUnused == 2);
  CHECK(limiter.admit(FlowKind::NewGroup, 4) == Admission::Optimize);
  CHECK(limiter.counters().reservedUnused == 4);
}

TEST_CASE("the hard connection limit bounds reserve use too") {
  Limits l = smallLimits();
  l.connectionLimit = 11;  // effective 10, pool 4, 2 per group
  ConnectionLimiter limiter(l);
  for (int i = 0; i < 9; ++i) {
    limiter.admit(FlowKind::Generic);
  }
  // The group's first connection takes the last ordinary slot and sets 2 aside.
  CHECK(limiter.admit(FlowKind::NewGroup, 7) == Admission::Optimize);
  CHECK(limiter.counters().reservedUnused == 2);
  CHECK(limiter.admit(FlowKind::KnownGroup, 7) == Admission::OptimizeFromReserve);
  CHECK(limiter.counters().active == 11);
  // One reservation is left, but the hard limit is reached.
  CHECK(limiter.admit(FlowKind::KnownGroup, 7) == Admission::PassThroughOverload);
  CHECK(limiter.counters().reservedUnused == 1);
  limiter.release(Admission::Optimize);
  CHECK(limiter.admit(FlowKind::KnownGroup, 7) == Admission::OptimizeFromReserve);
}

TEST_CASE("new limits apply to the next admission") {
  ConnectionLimiter limiter(smallLimits());
  for (int i = 0; i < 5; ++i) {
    limiter.admit(FlowKind::Generic);
  }
  Limits tight = smallLimits();
  tight.effectiveLimit = 5;
  limiter.setLimits(tight);
  CHECK(limiter.admit(FlowKind::Generic) == Admission::PassThroughOverload);
  CHECK(limiter.counters().active == 5);
}
