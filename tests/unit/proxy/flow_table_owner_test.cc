#include <doctest/doctest.h>

// proxy/flow_table.h: the table owns the flows and their per-flow records (admission, group
// slot, flush time); what it gives back to the limiter, and the memory budget's view.

#include "proxy/flow_table.h"

using namespace bh::proxy;
using bh::policy::Admission;
using bh::policy::ConnectionLimiter;
using bh::policy::FlowKind;

namespace {

struct FakeFlow {
  FlowInfo record;
  size_t buffered = 0;
  int* deleted = nullptr;
  std::vector<std::string> aborts;
  ~FakeFlow() {
    if (deleted != nullptr) {
      ++*deleted;
    }
  }
  FlowInfo& info() { return record; }
  const FlowInfo& info() const { return record; }
  size_t bufferedBytes() const { return buffered; }
  void abort(uint16_t, const std::string& why) { aborts.push_back(why); }
};

std::unique_ptr<FakeFlow> make(uint64_t id, size_t buffered = 0, int* deleted = nullptr) {
  auto f = std::make_unique<FakeFlow>();
  f->record.connId = id;
  f->buffered = buffered;
  f->deleted = deleted;
  return f;
}

bh::policy::Limits limits() {
  bh::policy::Limits l;
  l.connectionLimit = 100;
  l.effectiveLimit = 50;
  l.reservedMapiConnections = 10;
  return l;
}

}  // namespace

TEST_CASE("FlowTable owns its flows by connection id until they are removed") {
  FlowTable<FakeFlow> t;
  ConnectionLimiter limiter(limits());
  int deleted = 0;
  t.add(make(7, 100, &deleted));
  t.add(make(3, 50, &deleted));
  CHECK(t.size() == 2);
  REQUIRE(t.flow(7) != nullptr);
  CHECK(t.flow(7)->info().connId == 7);
  CHECK(t.flow(8) == nullptr);
  std::vector<uint64_t> order;
  t.forEach([&](FakeFlow& f) { order.push_back(f.info().connId); });
  CHECK(order == std::vector<uint64_t>{3, 7});
  t.remove(7, limiter);
  CHECK(deleted == 1);
  CHECK(t.flow(7) == nullptr);
  CHECK(t.remove(7, limiter) == nullptr);
  CHECK(t.size() == 1);
}

TEST_CASE("FlowTable gives a flow's admission and group slot back to the limiter") {
  FlowTable<FakeFlow> t;
  ConnectionLimiter limiter(limits());
  for (uint64_t id = 1; id <= 3; ++id) {
    t.add(make(id));
  }
  const uint64_t group = 0x11de4;
  CHECK_FALSE(t.groupKnown(group));
  t.admitted(1, limiter.admit(FlowKind::NewGroup, group), group);
  CHECK(t.groupKnown(group));
  t.admitted(2, limiter.admit(FlowKind::KnownGroup, group), group);
  t.admitted(3, limiter.admit(FlowKind::Generic), std::nullopt);
  CHECK(limiter.counters().active == 3);
  // No peer answered: the admission goes back, the group slot stays until the flow ends.
  t.releaseAdmission(2, limiter);
  CHECK(limiter.counters().active == 2);
  t.releaseAdmission(2, limiter);  // once
  CHECK(limiter.counters().active == 2);
  t.remove(1, limiter);
  CHECK(limiter.counters().active == 1);
  CHECK(t.groupKnown(group));  // flow 2 still holds it
  t.remove(2, limiter);
  CHECK_FALSE(t.groupKnown(group));
  CHECK(limiter.counters().groups == 0);  // the group's reserve went back to the pool
  t.remove(3, limiter);
  CHECK(limiter.counters().active == 0);
}

TEST_CASE("FlowTable schedules codec flushes per flow; a closed flow's flush is forgotten") {
  FlowTable<FakeFlow> t;
  ConnectionLimiter limiter(limits());
  t.add(make(1));
  t.add(make(2));
  CHECK_FALSE(t.flushPending());
  t.scheduleFlush(1, 10);
  t.scheduleFlush(1, 12);  // a new burst pushes it back
  t.scheduleFlush(2, 11);
  t.scheduleFlush(9, 1);  // no such flow
  CHECK(t.flushAt(1) == 12);
  CHECK(t.takeDueFlushes(11) == std::vector<uint64_t>{2});
  CHECK(t.flushPending());
  t.remove(1, limiter);
  CHECK_FALSE(t.flushPending());
  CHECK(t.takeDueFlushes(100).empty());
}

TEST_CASE(
    "FlowTable: the memory budget's view (buffered bytes per flow, reset by id, a hook at "
    "admission)") {
  FlowTable<FakeFlow> t;
  t.add(make(1, 4096));
  t.add(make(2, 1 << 20));
  auto u = t.usage();
  REQUIRE(u.size() == 2);
  CHECK(u[0].connId == 1);
  CHECK(u[0].bufferedBytes == 4096);
  CHECK(u[1].bufferedBytes == 1u << 20);
  CHECK(t.reset(2, 0, "over budget"));
  CHECK(t.flow(2)->aborts == std::vector<std::string>{"over budget"});
  CHECK_FALSE(t.reset(5, 0, "gone"));
  FlowInfo info;
  CHECK(t.mayOptimize(info));
  t.setAdmissionHook([](const FlowInfo& f) { return f.connId != 13; });
  info.connId = 13;
  CHECK_FALSE(t.mayOptimize(info));
}

TEST_CASE("FlowTable::admit: a reservation group's first flow reserves, later ones may use it") {
  FlowTable<FakeFlow> t;
  bh::policy::Limits l;
  l.connectionLimit = 10;
  l.effectiveLimit = 3;
  l.reservedMapiConnections = 4;
  l.mapiReservePerGroup = 2;
  ConnectionLimiter limiter(l);
  for (uint64_t id = 1; id <= 6; ++id) {
    t.add(make(id));
  }
  const uint64_t group = 0x11de4;
  auto first = t.admit(1, limiter, group);
  CHECK(first.how == Admission::Optimize);
  CHECK_FALSE(first.knownGroup);
  CHECK(t.find(1)->group == group);
  CHECK(limiter.counters().groups == 1);  // the first flow reserved for its group
  // Unused reservations count against the effective limit (3): 1 active + 2 reserved.
  auto generic = t.admit(2, limiter, std::nullopt);
  CHECK(generic.how == Admission::PassThroughOverload);
  CHECK_FALSE(t.find(2)->admission.has_value());  // refused: nothing recorded
  auto otherGroup = t.admit(3, limiter, 0x999);
  CHECK(otherGroup.how == Admission::PassThroughOverload);
  CHECK_FALSE(otherGroup.knownGroup);
  CHECK_FALSE(t.groupKnown(0x999));
  // The group's later flows are not refused: they take its reserve.
  auto second = t.admit(4, limiter, group);
  CHECK(second.knownGroup);
  CHECK(second.how == Admission::OptimizeFromReserve);
  CHECK(t.admit(5, limiter, group).how == Admission::OptimizeFromReserve);
  auto beyond = t.admit(6, limiter, group);  // the group's reserve is spent
  CHECK(beyond.knownGroup);
  CHECK(beyond.how == Admission::PassThroughOverload);
  for (uint64_t id = 1; id <= 6; ++id) {
    t.remove(id, limiter);
  }
  CHECK_FALSE(t.groupKnown(group));
  CHECK(limiter.counters().active == 0);
}

TEST_CASE("reservationGroupOf: one group per client and server, whatever the ports") {
  FlowInfo a, b, c;
  a.client = {*bh::IpAddress::parse("10.56.94.101"), 4506};
  a.server = {*bh::IpAddress::parse("10.10.100.100"), 1456};
  b = a;
  b.client.port = 4507;
  b.server.port = 6001;
  c = a;
  c.server.ip = *bh::IpAddress::parse("10.10.100.101");
  CHECK(reservationGroupOf(a) == reservationGroupOf(b));
  CHECK(reservationGroupOf(a) != reservationGroupOf(c));
}
