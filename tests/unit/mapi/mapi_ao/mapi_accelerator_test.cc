#include <doctest/doctest.h>

// The MAPI AO's glue to the box (mapi_accelerator.h) against a recording host: its connection
// resource with the reserve for client/server pairs it accelerates, the generic-AO period after
// an unrecoverable parse error, and what one connection of an association group tells the
// others (releases, hand-offs, resets), carried out only at the next loop turn.

#include <map>
#include <set>

#include "mapi/mapi_ao/mapi_accelerator.h"
#include "mapi/mapi_ao/mapi_flow_record.h"

using namespace bh::mapi::mapi_ao;
using bh::Bytes;
using bh::IpAddress;
using bh::accel::Admission;
using bh::accel::FlowFilter;
using bh::accel::FlowRecord;

namespace {

class RecordingHost : public bh::accel::Host {
 public:
  uint64_t now = 1'000'000'000;
  bool isStopping = false;
  int wakes = 0;
  std::map<uint64_t, FlowRecord> flows;
  std::vector<uint64_t> filterRuns, handOffs, resets;
  std::vector<std::string> errors;

  FlowRecord& add(uint64_t id, const char* client, const char* server) {
    FlowRecord& f = flows[id];
    f.connId = id;
    f.client = {*IpAddress::parse(client), static_cast<uint16_t>(40000 + id)};
    f.server = {*IpAddress::parse(server), 6001};
    return f;
  }
  uint64_t nowNs() const override { return now; }
  void logInfo(const std::string&) override {}
  void logError(const std::string& line) override { errors.push_back(line); }
  bool stopping() const override { return isStopping; }
  void wake() override { ++wakes; }
  FlowRecord* findFlow(uint64_t id) override {
    auto it = flows.find(id);
    return it == flows.end() ? nullptr : &it->second;
  }
  const FlowFilter* filterOf(uint64_t) const override { return nullptr; }
  bool runFilter(uint64_t id,
                 const std::function<void(FlowFilter&, FlowFilter::Output&)>&) override {
    filterRuns.push_back(id);
    return true;
  }
  void handOff(uint64_t id, uint16_t, const std::string&) override { handOffs.push_back(id); }
  void reset(uint64_t id, const std::string&) override { resets.push_back(id); }
  void forEachFlow(const std::function<void(FlowRecord&)>& visit) override {
    for (auto& [id, f] : flows) {
      visit(f);
    }
  }
};

/// A resource of `capacity` connections; a known pair may go one past it (its reserve).
class CountingAdmission : public Admission {
 public:
  explicit CountingAdmission(uint64_t capacity) : capacity_(capacity) {}
  uint64_t admitted = 0;
  std::vector<bool> knownAsked;
  std::multiset<Grant> released;
  std::vector<uint64_t> endedGroups;

  Grant admit(uint64_t, bool known) override {
    knownAsked.push_back(known);
    if (admitted < capacity_) {
      ++admitted;
      return Grant::Admitted;
    }
    if (known && admitted == capacity_) {
      ++admitted;
      return Grant::AdmittedFromReserve;
    }
    return Grant::Refused;
  }
  void release(Grant g) override {
    released.insert(g);
    --admitted;
  }
  void endGroup(uint64_t group) override { endedGroups.push_back(group); }
  uint64_t active() const override { return admitted; }

 private:
  uint64_t capacity_;
};

struct Box {
  RecordingHost host;
  CountingAdmission admission{8};
  MapiAccelerator mapi{host, admission, {}};
  std::map<uint64_t, std::unique_ptr<FlowFilter>> filters;

  /// An edge flow offered to the AO; true when it attached its half.
  bool open(uint64_t id, const char* client = "10.91.1.10", const char* server = "10.91.4.2") {
    FlowRecord& f = host.add(id, client, server);
    auto a = mapi.attach(f);
    if (a.filter) {
      filters[id] = std::move(a.filter);
    }
    return filters.count(id) != 0;
  }
  void close(uint64_t id) {
    mapi.onFlowClosed(host.flows[id], filters.count(id) ? filters[id].get() : nullptr);
    filters.erase(id);
    host.flows.erase(id);
  }
  /// The server's bind_ack put the connection in `group`.
  void bind(uint64_t id, uint32_t group) {
    FlowRecord& f = host.flows[id];
    mapiRecordOf(f).stats.associationGroupId = group;
    mapi.onMapiBound(f, group);
  }
};

}  // namespace

TEST_CASE("MAPI accelerator: its connection resource, the pair's reserve, and giving it back") {
  Box b;
  // The box's own limiter reserves per group of its flows too (an association group).
  CHECK(b.mapi.reservesByGroup());
  b.admission = CountingAdmission(1);
  CHECK(b.open(1));
  CHECK(b.admission.knownAsked == std::vector<bool>{false});
  // The same client and server: a known pair, which may use the reserve past the limit.
  CHECK(b.open(2));
  CHECK(b.admission.knownAsked.back());
  // Another pair finds the resource full: handed to the generic AO, no half attached.
  CHECK_FALSE(b.open(3, "10.91.1.11"));
  CHECK(b.host.flows[3].handedOffToGeneric);
  CHECK(b.host.flows[3].handOffReason == "overload");
  REQUIRE(findMapiRecord(b.host.flows[3]) != nullptr);
  CHECK(b.mapi.counters().stats().handedOffByReason[static_cast<size_t>(HandOffReason::Overload)] ==
        1);
  // A refused flow gives nothing back; the pair's group ends with its last connection only.
  b.close(3);
  CHECK(b.admission.released.empty());
  b.close(1);
  CHECK(b.admission.released.count(Admission::Grant::Admitted) == 1);
  CHECK(b.admission.endedGroups.empty());
  b.close(2);
  CHECK(b.admission.released.count(Admission::Grant::AdmittedFromReserve) == 1);
  CHECK(b.admission.endedGroups.size() == 1);
  CHECK(b.admission.admitted == 0);
  // With the pair gone, its next connection is a new one again.
  CHECK(b.open(4));
  CHECK_FALSE(b.admission.knownAsked.back());
}

TEST_CASE("MAPI accelerator: configured off, core side, and the core's half") {
  Box b;
  FlowRecord& core = b.host.add(1, "10.91.1.10", "10.91.4.2");
  core.coreSide = true;
  CHECK_FALSE(b.mapi.attach(core).filter);  // the edge decides
  CHECK(b.mapi.attachPeerHalf(core).filter);
  MapiAcceleratorConfig off;
  off.enabled = false;
  b.mapi.setConfig(off);
  CHECK_FALSE(b.open(2));
  CHECK(b.host.flows[2].handOffReason == "MAPI accelerator disabled");
  CHECK(b.admission.admitted == 0);
  // The edge's half still asks: the core relays without prefetching rather than refuse.
  CHECK(b.mapi.attachPeerHalf(core).filter);
}

TEST_CASE(
    "MAPI accelerator: after an unrecoverable parse error the pair's connections reset "
    "and its reconnects go to the generic AO for 30 minutes") {
  Box b;
  REQUIRE(b.open(1));
  REQUIRE(b.open(2));
  REQUIRE(b.open(3, "10.91.1.10", "10.91.4.3"));  // another server: untouched
  b.mapi.onMapiHandOff(b.host.flows[1], HandOffReason::ParseError, "bad PDU");
  CHECK(b.host.flows[1].handedOffToGeneric);
  // Nothing is reset inside the flow's own step: at the next loop turn.
  CHECK(b.host.resets.empty());
  CHECK(b.host.wakes == 1);
  b.mapi.runPending();
  CHECK(b.host.resets == std::vector<uint64_t>{1, 2});
  b.mapi.runPending();
  CHECK(b.host.resets.size() == 2);  // once
  CHECK_FALSE(b.open(4));
  CHECK(b.host.flows[4].handOffReason.find("parse-error") == 0);
  CHECK(b.open(5, "10.91.1.10", "10.91.4.3"));
  b.host.now += MapiAccelerator::kGenericAfterParseErrorNs + 1;
  CHECK(b.open(6));
}

TEST_CASE(
    "MAPI accelerator: a release reaches the group's other edge connections at the next "
    "loop turn, not other groups, not connections handed off") {
  Box b;
  for (uint64_t id = 1; id <= 4; ++id) {
    REQUIRE(b.open(id));
  }
  b.bind(1, 0x1234);
  b.bind(2, 0x1234);
  b.bind(3, 0x1234);
  b.bind(4, 0x9999);
  b.host.flows[3].handedOffToGeneric = true;
  Bytes handle(20, 0xab);
  b.mapi.onMapiObjectsReleased(b.host.flows[1], handle, {7});
  CHECK(b.host.filterRuns.empty());
  b.mapi.runPending();
  CHECK(b.host.filterRuns == std::vector<uint64_t>{2});
  // A connection that left the group hears nothing more.
  b.close(2);
  b.mapi.onMapiWritesSettled(b.host.flows[1], handle, 7);
  b.mapi.runPending();
  CHECK(b.host.filterRuns.size() == 1);
  // While the box stops, nothing is queued.
  b.host.isStopping = true;
  b.mapi.onMapiObjectsReleased(b.host.flows[3], handle, {7});
  b.mapi.runPending();
  CHECK(b.host.filterRuns.size() == 1);
}

TEST_CASE("MAPI accelerator: group notices are capped") {
  Box b;
  for (uint64_t id = 1; id <= 3; ++id) {
    REQUIRE(b.open(id));
    b.bind(id, 0x42);
  }
  Bytes handle(20, 1);
  for (size_t i = 0; i < MapiAccelerator::kMaxPendingGroupNotices; ++i) {
    b.mapi.onMapiObjectsReleased(b.host.flows[1], handle, {1});
  }
  b.mapi.runPending();
  CHECK(b.host.filterRuns.size() == MapiAccelerator::kMaxPendingGroupNotices);
}

TEST_CASE(
    "MAPI accelerator: an unsupported client's session goes to the generic AO, its open "
    "connections and the ones that join later; a join to a group never seen escaped") {
  Box b;
  for (uint64_t id = 1; id <= 3; ++id) {
    REQUIRE(b.open(id));
  }
  b.bind(1, 0x77);
  b.bind(2, 0x77);
  b.bind(3, 0x88);
  b.mapi.onMapiHandOff(b.host.flows[1], HandOffReason::UnsupportedClient, "Outlook 2003");
  CHECK(b.host.handOffs.empty());
  b.mapi.runPending();
  CHECK(b.host.handOffs == std::vector<uint64_t>{2});
  REQUIRE(b.open(4));
  CHECK(b.mapi.onMapiJoinGroup(b.host.flows[4], 0x77) == HandOffReason::UnsupportedClient);
  CHECK(b.mapi.counters().stats().escapedConnections == 0);
  CHECK_FALSE(b.mapi.onMapiJoinGroup(b.host.flows[4], 0x88).has_value());  // known: no escape
  CHECK(b.mapi.counters().stats().escapedConnections == 0);
  CHECK_FALSE(b.mapi.onMapiJoinGroup(b.host.flows[4], 0x55).has_value());
  CHECK(b.mapi.counters().stats().escapedConnections == 1);
  // The box refusing a known pair's connection counts an escape too.
  b.mapi.onOverload(b.host.flows[4], true);
  b.mapi.onOverload(b.host.flows[4], false);
  CHECK(b.mapi.counters().stats().escapedConnections == 2);
}
