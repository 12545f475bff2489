#include <doctest/doctest.h>

// A farm in memory: three boxes (redirect/wccp/service_group.h) and the lab's WCCP router
// (lab/wccp_router.h) for services 61 and 62, exchanging real encoded, MD5-signed datagrams on a
// simulated clock. Membership settles, the designated box assigns, 200 client flows spread over
// all three with both directions of each client on one box; a box dies: the router queries it
// at 25 s, removes it at 30 s, its buckets go to the survivors and nobody else's flows move; it
// returns and takes its share again.

#include <map>
#include <set>

#include "lab/wccp_router.h"
#include "redirect/wccp/service_group.h"

using namespace bh;
using namespace bh::redirect::wccp;
using bh::lab::WccpRouter;
using bh::lab::WccpRouterConfig;

namespace {

constexpr uint32_t kRouter = 0x0a5b0101;  // 10.91.1.1
constexpr uint32_t kBoxes[] = {0x0a5b0105, 0x0a5b0106, 0x0a5b0107};
constexpr uint32_t kServer = 0x0a5b0402;  // 10.91.4.2

ServiceInfo promiscuous(uint8_t id) {
  ServiceInfo s;
  s.id = id;
  s.priority = 34;
  s.protocol = 6;
  s.flags = id == 61 ? service_flags::kSrcIpHash : service_flags::kDstIpHash;
  return s;
}

struct Farm {
  std::map<uint8_t, WccpRouter> routers;
  std::map<std::pair<uint32_t, uint8_t>, ServiceGroup> boxes;
  std::set<uint32_t> dead;
  uint64_t now = 0;

  Farm() {
    for (uint8_t id : {61, 62}) {
      WccpRouterConfig rc;
      rc.routerId = kRouter;
      rc.serviceId = id;
      rc.password = Md5Password::make("bh61pw");
      routers.emplace(id, WccpRouter(rc));
      for (uint32_t box : kBoxes) {
        ServiceGroupConfig c;
        c.service = promiscuous(id);
        c.password = Md5Password::make("bh61pw");
        c.self = box;
        c.routers = {kRouter};
        boxes.emplace(std::make_pair(box, id), ServiceGroup(c));
      }
    }
  }

  /// Runs the farm for `ms` in 250 ms steps, delivering every datagram at once.
  void run(uint64_t ms) {
    for (uint64_t end = now + ms; now < end; now += 250) {
      for (auto& [key, g] : boxes) {
        if (dead.count(key.first) != 0) {
          continue;
        }
        for (auto& d : g.tick(now)) {
          REQUIRE(d.to == kRouter);
          for (auto& answer : routers.at(key.second).onDatagram(key.first, d.payload, now)) {
            deliver(key.second, answer);
          }
        }
      }
      for (auto& [id, r] : routers) {
        for (auto& d : r.tick(now)) {
          deliver(id, d);
        }
      }
    }
  }
  void deliver(uint8_t service, const Datagram& d) {
    if (dead.count(d.to) == 0) {
      boxes.at({d.to, service}).onDatagram(kRouter, d.payload, now);
    }
  }
  /// Where each of `clients` flows goes (61: client to server).
  std::map<uint32_t, std::optional<uint32_t>> targets(const std::vector<uint32_t>& clients) const {
    std::map<uint32_t, std::optional<uint32_t>> t;
    for (uint32_t c : clients) {
      t[c] = routers.at(61).redirectTarget({c, kServer, 40000, 6001});
    }
    return t;
  }
};

std::vector<uint32_t> clients200() {
  std::vector<uint32_t> c;
  for (uint32_t i = 0; i < 200; ++i) {
    c.push_back(0x0a5b0200 + (i / 250) * 256 + (i % 250) + 1 + (i / 100) * 0x10000);
  }
  return c;
}

}  // namespace

TEST_CASE("a farm of three: membership, assignment, spread, one box per client") {
  Farm f;
  f.run(40'000);
  for (auto& [id, r] : f.routers) {
    CAPTURE(int(id));
    REQUIRE(r.caches().size() == 3);
    for (const auto& [addr, c] : r.caches()) {
      CHECK(c.usable);
      CHECK(r.assigned(addr));  // the assignment in force gives every box a share
    }
    CHECK(r.assignmentComplete());
    CHECK(r.counters().assignmentsExecuted >= 1);
    CHECK(r.assignmentKey().address == kBoxes[0]);  // the lowest address is designated
    CHECK(r.counters().securityFailures == 0);
  }
  CHECK(f.boxes.at({kBoxes[0], 61}).isDesignated());
  CHECK_FALSE(f.boxes.at({kBoxes[1], 61}).isDesignated());
  std::map<uint32_t, int> perBox;
  for (uint32_t c : clients200()) {
    auto out = f.routers.at(61).redirectTarget({c, kServer, 40000, 6001});
    auto back = f.routers.at(62).redirectTarget({kServer, c, 6001, 40000});
    REQUIRE(out.has_value());
    CHECK(out == back);  // both directions of a client on one box
    ++perBox[*out];
  }
  REQUIRE(perBox.size() == 3);
  for (const auto& [box, n] : perBox) {
    CHECK(n > 30);  // 200 flows over 3 boxes by the client-address hash
  }
}

TEST_CASE("a box dies: queried at 25 s, removed at 30 s, its flows move, nobody else's") {
  Farm f;
  f.run(40'000);
  const auto clients = clients200();
  const auto before = f.targets(clients);
  f.dead.insert(kBoxes[2]);
  const uint64_t last = f.routers.at(61).caches().at(kBoxes[2]).lastHereIAmMs;
  f.run(last + 25'000 - 250 - f.now);
  CHECK(f.routers.at(61).counters().removalQueriesSent == 0);
  CHECK(f.routers.at(61).caches().count(kBoxes[2]) == 1);
  f.run(500);  // 2.5 x T after its last HERE_I_AM: REMOVAL_QUERY
  CHECK(f.routers.at(61).counters().removalQueriesSent == 1);
  CHECK(f.routers.at(61).caches().count(kBoxes[2]) == 1);
  f.run(5'000);  // 3 x T: removed
  CHECK(f.routers.at(61).caches().count(kBoxes[2]) == 0);
  CHECK_FALSE(f.routers.at(61).assignmentComplete());  // its buckets name a box that left
  // Until the designated box reassigns its buckets are forwarded normally; it does once it has
  // seen the change (its next HERE_I_AM's answer, within T) and membership was stable 1.5 x T.
  CHECK_FALSE(f.routers.at(61).redirectTarget({0x0a5b0201, kServer, 1, 6001}) == kBoxes[2]);
  f.run(30'000);
  CHECK(f.routers.at(61).assignmentComplete());
  const auto after = f.targets(clients);
  int moved = 0;
  for (uint32_t c : clients) {
    REQUIRE(after.at(c).has_value());
    CHECK(*after.at(c) != kBoxes[2]);
    if (before.at(c) != kBoxes[2]) {
      CHECK(after.at(c) == before.at(c));  // survivors' flows untouched
    } else {
      ++moved;
    }
  }
  CHECK(moved > 0);
  // It returns and takes its share again; the designated box stays the lowest.
  f.dead.erase(kBoxes[2]);
  f.run(60'000);
  std::set<uint32_t> used;
  for (const auto& [c, t] : f.targets(clients)) {
    REQUIRE(t.has_value());
    used.insert(*t);
  }
  CHECK(used.size() == 3);
  CHECK(f.routers.at(61).caches().size() == 3);
}

TEST_CASE("the router refuses what an operator gets wrong") {
  WccpRouterConfig rc;
  rc.routerId = kRouter;
  rc.password = Md5Password::make("bh61pw");
  WccpRouter r(rc);
  ServiceGroupConfig c;
  c.service = promiscuous(61);
  c.password = Md5Password::make("wrong");
  c.self = kBoxes[0];
  c.routers = {kRouter};
  ServiceGroup wrong(c);
  for (auto& d : wrong.tick(0)) {
    CHECK(r.onDatagram(kBoxes[0], d.payload, 0).empty());  // no I_SEE_YOU for a bad digest
  }
  CHECK(r.counters().securityFailures == 1);
  // The first box defines 61; a second box with other flags is a conflict.
  c.password = Md5Password::make("bh61pw");
  ServiceGroup first(c);
  for (auto& d : first.tick(0)) {
    CHECK(r.onDatagram(kBoxes[0], d.payload, 0).size() == 1);
  }
  c.self = kBoxes[1];
  c.service.flags = service_flags::kDstIpHash;
  ServiceGroup conflicting(c);
  for (auto& d : conflicting.tick(0)) {
    CHECK(r.onDatagram(kBoxes[1], d.payload, 0).empty());
  }
  CHECK(r.counters().serviceConflicts == 1);
  CHECK(r.caches().count(kBoxes[1]) == 0);
}
