#include <doctest/doctest.h>

// A web cache's life in a WCCPv2 service group (redirect/wccp/service_group.h), against a router
// played by the test with real encoded messages: joining, the two-way handshake, capability
// negotiation, the designated web cache's assignment, REMOVAL_QUERY, a silent router, and the
// failures an operator meets (wrong password, a conflicting service definition, methods that do
// not match).

#include "redirect/wccp/assignment.h"
#include "redirect/wccp/service_group.h"
#include "tests/unit/redirect/wccp/wccp_test_util.h"

using namespace bh;
using namespace bh::redirect::wccp;
using bh::redirect::wccp::test::ip;

namespace {

const uint32_t kRouter = ip("10.91.1.1");
const uint32_t kSelf = ip("10.91.1.5");
const uint32_t kOther = ip("10.91.1.6");
constexpr uint64_t T = kHereIAmIntervalMs;

ServiceGroupConfig config(uint8_t service = 61) {
  ServiceGroupConfig c;
  c.service = test::tcpPromiscuous(service);
  c.password = Md5Password::make("bh61pw");
  c.self = kSelf;
  c.routers = {kRouter};
  return c;
}

struct RouterOffer {
  std::optional<uint32_t> forwarding = method::kGre | method::kL2;
  std::optional<uint32_t> assignment = method::kHash | method::kMask;
  std::optional<uint32_t> returns = method::kGre | method::kL2;
  bool capabilities = true;
};

/// An I_SEE_YOU from the router listing `caches`, signed with `password`.
Bytes iSeeYou(uint32_t receiveId, std::vector<uint32_t> caches, RouterOffer offer = {},
              const char* password = "bh61pw", uint8_t service = 61, AssignmentKey key = {},
              uint32_t routerId = kRouter) {
  Message m;
  m.type = MessageType::ISeeYou;
  m.components.push_back(SecurityInfo{SecurityOption::Md5, {}});
  m.components.push_back(test::tcpPromiscuous(service));
  m.components.push_back(RouterIdentityInfo{{routerId, receiveId}, kSelf, caches});
  RouterViewInfo view;
  view.memberChangeNumber = 1 + static_cast<uint32_t>(caches.size());
  view.assignmentKey = key;
  view.routers = {routerId};
  for (uint32_t c : caches) {
    WebCacheIdentity w;
    w.address = c;
    w.weight = 10000;
    view.webCaches.push_back(w);
  }
  m.components.push_back(view);
  if (offer.capabilities) {
    CapabilityInfo caps;
    if (offer.forwarding) {
      caps.elements.push_back(
          test::capability(CapabilityType::ForwardingMethod, *offer.forwarding));
    }
    if (offer.assignment) {
      caps.elements.push_back(
          test::capability(CapabilityType::AssignmentMethod, *offer.assignment));
    }
    if (offer.returns) {
      caps.elements.push_back(test::capability(CapabilityType::ReturnMethod, *offer.returns));
    }
    m.components.push_back(caps);
  }
  Bytes out = encodeMessage(m);
  signMessage(out, *Md5Password::make(password));
  return out;
}

Message decoded(const Datagram& d) {
  Message m;
  REQUIRE(decodeMessage(d.payload, m).ok());
  CHECK(verifyMessage(d.payload, *Md5Password::make("bh61pw")) == SecurityVerdict::Ok);
  return m;
}

}  // namespace

TEST_CASE("joining: a signed HERE_I_AM to every router at once and every 10 s") {
  auto c = config();
  c.routers = {kRouter, ip("10.91.2.1")};
  ServiceGroup g(c);
  auto out = g.tick(0);
  REQUIRE(out.size() == 2);
  CHECK(out[0].to == kRouter);
  Message m = decoded(out[0]);
  CHECK(m.type == MessageType::HereIAm);
  CHECK(m.find<WebCacheIdentity>()->address == kSelf);
  CHECK(m.find<WebCacheIdentity>()->unassigned);
  CHECK(m.find<CapabilityInfo>()->value(CapabilityType::ForwardingMethod) ==
        (method::kGre | method::kL2));
  CHECK(g.tick(T - 1).empty());
  CHECK(g.nextTickMs() == T);
  CHECK(g.tick(T).size() == 2);
}

TEST_CASE("two-way: usable once the router lists this box; its receive id echoed") {
  ServiceGroup g(config());
  g.tick(0);
  g.onDatagram(kRouter, iSeeYou(1, {}), 100);
  REQUIRE(g.routers().count(kRouter) == 1);
  CHECK_FALSE(g.routers().at(kRouter).usable);
  CHECK(g.routers().at(kRouter).problem.find("negotiating membership") != std::string::npos);
  g.onDatagram(kRouter, iSeeYou(2, {kSelf}), 200);
  const RouterState& r = g.routers().at(kRouter);
  CHECK(r.usable);
  CHECK(r.forwarding == method::kGre);
  CHECK(r.assignment == method::kHash);
  CHECK(r.returns == method::kGre);
  Message hia = decoded(g.tick(T)[0]);
  REQUIRE(hia.find<WebCacheViewInfo>()->routers.size() == 1);
  CHECK(hia.find<WebCacheViewInfo>()->routers[0] == RouterIdElement{kRouter, 2});
  CHECK(hia.find<WebCacheViewInfo>()->webCaches == std::vector<uint32_t>{kSelf});
}

TEST_CASE(
    "capabilities: none means GRE/hash/GRE; L2 and mask when that is all a switch offers; "
    "nothing usable is named") {
  ServiceGroup a(config());
  a.onDatagram(kRouter, iSeeYou(1, {kSelf}, RouterOffer{{}, {}, {}, false}), 0);
  CHECK(a.routers().at(kRouter).forwarding == method::kGre);
  CHECK(a.routers().at(kRouter).usable);
  ServiceGroup b(config());
  b.onDatagram(kRouter, iSeeYou(1, {kSelf}, RouterOffer{method::kL2, method::kMask, method::kL2}),
               0);
  CHECK(b.routers().at(kRouter).forwarding == method::kL2);
  CHECK(b.routers().at(kRouter).assignment == method::kMask);
  CHECK(b.routers().at(kRouter).usable);
  auto gre = config();
  gre.forwarding = {method::kGre};
  ServiceGroup c(gre);
  c.onDatagram(kRouter, iSeeYou(1, {kSelf}, RouterOffer{method::kL2, method::kHash, method::kL2}),
               0);
  CHECK_FALSE(c.routers().at(kRouter).usable);
  CHECK(c.routers().at(kRouter).problem.find("no forwarding method") != std::string::npos);
  CHECK(c.counters().capabilityMismatches == 1);
}

TEST_CASE("wrong password, no password, a conflicting service: refused and named") {
  ServiceGroup g(config());
  g.onDatagram(kRouter, iSeeYou(1, {kSelf}, {}, "other"), 0);
  CHECK(g.routers().empty());
  CHECK(g.counters().securityFailures == 1);
  CHECK(g.lastProblem().find("MD5 digest mismatch") != std::string::npos);
  auto open = config();
  open.password.reset();
  ServiceGroup n(open);
  n.onDatagram(kRouter, iSeeYou(1, {kSelf}), 0);
  CHECK(n.routers().empty());
  CHECK(n.lastProblem().find("no password") != std::string::npos);
  // The router defines 61 with other flags: a conflict, not a member.
  auto flags = config();
  flags.service.flags = service_flags::kDstIpHash;
  ServiceGroup s(flags);
  s.onDatagram(kRouter, iSeeYou(1, {kSelf}), 0);
  CHECK(s.routers().empty());
  CHECK(s.counters().serviceConflicts == 1);
  // Another service group's message is not ours to judge.
  ServiceGroup o(config(62));
  o.onDatagram(kRouter, iSeeYou(1, {kSelf}), 0);
  CHECK(o.counters().serviceConflicts == 0);
  CHECK(o.routers().empty());
  // Garbage is counted as malformed.
  g.onDatagram(kRouter, Bytes{1, 2, 3}, 0);
  CHECK(g.counters().malformed == 1);
}

TEST_CASE("the designated web cache assigns after 1.5 x T of stable membership, until executed") {
  ServiceGroup g(config());
  g.tick(0);
  g.onDatagram(kRouter, iSeeYou(1, {kSelf, kOther}), 1000);
  REQUIRE(g.isDesignated());
  for (uint64_t t = 1000; t < 1000 + 3 * T / 2; t += 1000) {
    for (const auto& d : g.tick(t)) {
      CHECK(decoded(d).type == MessageType::HereIAm);
    }
    g.onDatagram(kRouter, iSeeYou(2, {kSelf, kOther}), t);  // same membership: still stable
  }
  auto out = g.tick(1000 + 3 * T / 2);
  REQUIRE(out.size() == 1);
  Message assign = decoded(out[0]);
  CHECK(assign.type == MessageType::RedirectAssign);
  const auto* a = assign.find<HashAssignment>();
  REQUIRE(a != nullptr);
  CHECK(a->key == AssignmentKey{kSelf, 1});
  CHECK(a->webCaches == std::vector<uint32_t>{kSelf, kOther});
  CHECK(a->buckets[0] == 0);
  CHECK(a->buckets[127] == 0);
  CHECK(a->buckets[128] == 1);
  CHECK(a->buckets[255] == 1);
  REQUIRE(a->routers.size() == 1);
  CHECK(a->routers[0].receiveId == 2);
  // Not executed yet: again after T. Executed (the router's view carries the key): no more.
  auto assigns = [](const std::vector<Datagram>& sent) {
    size_t n = 0;
    for (const auto& d : sent) {
      n += decoded(d).type == MessageType::RedirectAssign ? 1 : 0;
    }
    return n;
  };
  CHECK(assigns(g.tick(1000 + 3 * T / 2 + T - 1)) == 0);
  g.onDatagram(kRouter, iSeeYou(3, {kSelf, kOther}, {}, "bh61pw", 61, {kSelf, 1}), 25000);
  CHECK(assigns(g.tick(1000 + 5 * T / 2)) == 0);
  CHECK(g.counters().redirectAssignSent == 1);
}

TEST_CASE("a box that is not the lowest address does not assign") {
  auto c = config();
  c.self = kOther;
  ServiceGroup g(c);
  g.onDatagram(kRouter, iSeeYou(1, {kSelf, kOther}), 0);
  CHECK_FALSE(g.isDesignated());
  CHECK(g.designated() == kSelf);
  for (uint64_t t = 0; t <= 3 * T; t += 1000) {
    g.onDatagram(kRouter, iSeeYou(2, {kSelf, kOther}), t);
    for (const auto& d : g.tick(t)) {
      CHECK(decoded(d).type == MessageType::HereIAm);
    }
  }
  CHECK(g.counters().redirectAssignSent == 0);
}

TEST_CASE("mask assignment keys on the client: source for 61, destination for 62") {
  for (uint8_t service : {61, 62}) {
    CAPTURE(int(service));
    ServiceGroup g(config(service));
    RouterOffer mask{method::kL2, method::kMask, method::kL2};
    g.onDatagram(kRouter, iSeeYou(1, {kSelf, kOther}, mask, "bh61pw", service), 0);
    std::vector<Datagram> out;
    for (uint64_t t = 0; t <= 2 * T && out.empty(); t += 1000) {
      g.onDatagram(kRouter, iSeeYou(2, {kSelf, kOther}, mask, "bh61pw", service), t);
      for (auto& d : g.tick(t)) {
        if (decoded(d).type == MessageType::RedirectAssign) {
          out.push_back(d);
        }
      }
    }
    REQUIRE(out.size() == 1);
    const Message assign = decoded(out[0]);
    const auto* alt = assign.find<AltAssignment>();
    REQUIRE(alt != nullptr);
    const auto& sets = std::get<MaskAssignment>(alt->body).sets;
    REQUIRE(sets.size() == 1);
    CHECK(sets[0].values.size() == 16);
    CHECK((service == 61 ? sets[0].mask.srcAddrMask : sets[0].mask.dstAddrMask) == 0xf00);
    CHECK((service == 61 ? sets[0].mask.dstAddrMask : sets[0].mask.srcAddrMask) == 0);
  }
}

TEST_CASE("REMOVAL_QUERY: three HERE_I_AMs T/10 apart") {
  ServiceGroup g(config());
  g.tick(0);
  Message q;
  q.type = MessageType::RemovalQuery;
  q.components.push_back(SecurityInfo{SecurityOption::Md5, {}});
  q.components.push_back(test::tcpPromiscuous(61));
  q.components.push_back(RouterQueryInfo{kRouter, 5, kRouter, kSelf});
  Bytes wire = encodeMessage(q);
  signMessage(wire, *Md5Password::make("bh61pw"));
  g.onDatagram(kRouter, wire, 3000);
  CHECK(g.counters().removalQueries == 1);
  CHECK(g.nextTickMs() == 3000);
  CHECK(g.tick(3000).size() == 1);
  CHECK(g.tick(3500).empty());
  CHECK(g.tick(4000).size() == 1);
  CHECK(g.tick(5000).size() == 1);
  CHECK(g.tick(6000).empty());
}

TEST_CASE("a router silent for 3 x T is forgotten") {
  ServiceGroup g(config());
  g.onDatagram(kRouter, iSeeYou(1, {kSelf}), 0);
  g.onDatagram(ip("10.91.1.2"), iSeeYou(1, {kSelf}, {}, "bh61pw", 61, {}, ip("10.91.1.2")), 0);
  CHECK(g.routers().size() == 2);
  g.onDatagram(ip("10.91.1.2"), iSeeYou(2, {kSelf}, {}, "bh61pw", 61, {}, ip("10.91.1.2")), 20000);
  g.tick(3 * T);
  CHECK(g.routers().size() == 1);
  CHECK(g.routers().count(ip("10.91.1.2")) == 1);
  CHECK(g.counters().routersLost == 1);
  CHECK(g.lastProblem().find("silent for 30 s") != std::string::npos);
}

TEST_CASE("a router that never answers is named after three HERE_I_AMs") {
  ServiceGroup g(config());
  g.tick(0);
  g.tick(T);
  CHECK(g.lastProblem().empty());
  g.tick(2 * T);
  CHECK(g.lastProblem() ==
        "router 10.91.1.1 does not answer (3 HERE_I_AMs): check the password and its definition "
        "of service 61 (a router ignores a wrong one silently)");
  // One that answers is not named, however long it has been silent before.
  ServiceGroup h(config());
  h.tick(0);
  h.tick(T);
  h.onDatagram(kRouter, iSeeYou(1, {kSelf}), T + 1);
  h.tick(2 * T);
  h.tick(3 * T);
  CHECK(h.lastProblem().empty());
  // Then silent for good: a lost router, named as such when removed, not as one never heard.
  for (uint64_t t = 4 * T; t <= 8 * T; t += T) {
    h.tick(t);
  }
  CHECK(h.routers().empty());
  CHECK(h.lastProblem() == "router 10.91.1.1 silent for 30 s: removed from the view");
}

TEST_CASE("a router that changes its ID: the old ID dropped at once, the change named") {
  ServiceGroup g(config());
  g.onDatagram(kRouter, iSeeYou(1, {kSelf}), 0);
  g.tick(0);
  g.onDatagram(kRouter, iSeeYou(2, {kSelf}), 1000);
  REQUIRE(g.routers().at(kRouter).usable);
  // Same address, a new Router ID (an address was added to the router's loopback).
  g.onDatagram(kRouter, iSeeYou(3, {kSelf}, {}, "bh61pw", 61, {}, ip("10.91.9.9")), 2000);
  CHECK(g.routers().size() == 1);
  CHECK(g.routers().count(ip("10.91.9.9")) == 1);
  CHECK(g.routers().at(ip("10.91.9.9")).usable);
  CHECK(g.counters().routerIdChanges == 1);
  CHECK(g.counters().routersLost == 0);
  CHECK(g.lastProblem() ==
        "router 10.91.1.1 changed its ID from 10.91.1.1 to 10.91.9.9: the old ID dropped from the "
        "view");
  // The next HERE_I_AM lists the new ID only, with the Receive ID it sent.
  auto out = g.tick(T + 1);
  REQUIRE(!out.empty());
  const Message hia = decoded(out.front());
  const auto* view = hia.find<WebCacheViewInfo>();
  REQUIRE(view != nullptr);
  REQUIRE(view->routers.size() == 1);
  CHECK(view->routers[0].routerId == ip("10.91.9.9"));
  CHECK(view->routers[0].receiveId == 3);
  // Another router (another address) with its own ID is another router, not a change.
  g.onDatagram(ip("10.91.1.2"), iSeeYou(1, {kSelf}, {}, "bh61pw", 61, {}, ip("10.91.1.2")), T + 2);
  CHECK(g.routers().size() == 2);
  CHECK(g.counters().routerIdChanges == 1);
}

TEST_CASE("assignment: blocks by weight cover every bucket; the lowest address is designated") {
  auto a = buildHashAssignment(
      {kSelf, 1}, {}, {{ip("10.0.0.3"), 100}, {ip("10.0.0.1"), 100}, {ip("10.0.0.2"), 200}});
  CHECK(a.webCaches == std::vector<uint32_t>{ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.3")});
  std::array<int, 3> count{};
  for (uint8_t b : a.buckets) {
    REQUIRE(b < 3);
    ++count[b];
  }
  CHECK(count[0] == 64);
  CHECK(count[1] == 128);
  CHECK(count[2] == 64);
  auto none = buildHashAssignment({kSelf, 1}, {}, {});
  CHECK(none.buckets[0] == kUnassignedBucket);
  auto zero = buildHashAssignment({kSelf, 1}, {}, {{1, 0}, {2, 0}});
  CHECK(zero.buckets[0] == 0);
  CHECK(zero.buckets[255] == 1);
  CHECK(designatedWebCache({ip("10.91.1.2"), ip("10.91.0.3")}) == ip("10.91.0.3"));
  CHECK_FALSE(buildMaskAssignment({}, {}, {{1, 1}}, 0xff, true).has_value());  // 8 bits
}
