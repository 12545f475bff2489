#include <doctest/doctest.h>

// `show wccp ...` renders the WCCP agent's status in the WAAS CLI's words, byte for byte, and
// --json carries the same facts.

#include "proxy/control/show_wccp.h"

using namespace bh::redirect;
using namespace bh::redirect::wccp;
using bh::proxy::showWccp;

namespace {

constexpr uint32_t kRouter = 0x0a5b0501;  // 10.91.5.1
constexpr uint32_t kBox1 = 0x0a5b050b;    // 10.91.5.11
constexpr uint32_t kBox2 = 0x0a5b050c;    // 10.91.5.12

WccpStatus farmOfTwo() {
  WccpStatus s;
  s.enabled = true;
  s.self = kBox1;
  s.interface = "eth0";
  s.tunnel = "bhwccp0";
  s.mss = 1432;
  s.forwarding = "gre";
  s.returns = "gre";
  s.assignment = "hash";
  WccpServiceStatus v;
  v.service.type = ServiceType::Dynamic;
  v.service.id = 61;
  v.service.priority = 34;
  v.service.protocol = 6;
  v.service.flags = service_flags::kSrcIpHash;
  RouterState r;
  r.routerId = kRouter;
  r.address = kRouter;
  r.receiveId = 0x2a;
  r.memberChangeNumber = 3;
  r.assignmentKey = {kBox1, 2};
  r.webCaches = {kBox1, kBox2};
  r.usable = true;
  r.forwarding = method::kGre;
  r.assignment = method::kHash;
  r.returns = method::kGre;
  v.routers = {r};
  v.designated = kBox1;
  v.members = {kBox1, kBox2};
  HashAssignment h;
  h.key = {kBox1, 2};
  h.webCaches = {kBox1, kBox2};
  for (size_t b = 0; b < 256; ++b) {
    h.buckets[b] = b < 128 ? 0 : 1;
  }
  v.assignment = AltAssignment{h};
  v.counters.hereIAmSent = 12;
  v.counters.iSeeYouReceived = 11;
  v.weight = 10000;
  v.password = "MD5";
  s.services = {v};
  s.gre.received = 7;
  s.gre.decapsulated = 7;
  s.gre.returned = 7;
  return s;
}

std::string text(const WccpStatus& s, const std::string& what) {
  auto r = showWccp(s, what);
  REQUIRE(r["ok"] == true);
  return r["text"];
}

}  // namespace

TEST_CASE("show wccp status: enabled, member, lead WAE; disabled when not in wccp mode") {
  CHECK(text(farmOfTwo(), "status") ==
        "WCCP Interception :\n"
        "  Configured State         : Enabled\n"
        "  Operational State        : Enabled\n"
        "  Web Cache Address        : 10.91.5.11 (eth0)\n"
        "  Redirect Method          : gre (configured), decapsulated into bhwccp0\n"
        "  Egress Method            : gre (configured)\n"
        "  Assignment Method        : hash (configured)\n"
        "  TCP MSS clamped to       : 1432\n"
        "  Services Enabled on this WAE:\n"
        "        TCP Promiscuous 61: Member\n"
        "          Lead WAE: 10.91.5.11 (this WAE)\n");
  CHECK(text(WccpStatus{}, "status") ==
        "WCCP Interception :\n"
        "  Configured State         : Disabled\n"
        "  Operational State        : Disabled\n");
}

TEST_CASE("show wccp status names a box no router answers, and the last problem") {
  WccpStatus s = farmOfTwo();
  s.services[0].routers.clear();
  s.services[0].designated = kBox1;
  s.services[0].lastProblem = "security: I_SEE_YOU from 10.91.5.1: mismatch";
  const std::string t = text(s, "status");
  CHECK(t.find("  Operational State        : Negotiating membership\n") != std::string::npos);
  CHECK(t.find("        TCP Promiscuous 61: Negotiating membership: no I_SEE_YOU from any "
               "router (a router refuses a wrong password or a conflicting service definition "
               "silently)\n") != std::string::npos);
  CHECK(t.find("          Last problem: security: I_SEE_YOU from 10.91.5.1: mismatch\n") !=
        std::string::npos);
}

TEST_CASE("show wccp routers: the routers seeing this WAE, and those that do not with why") {
  WccpStatus s = farmOfTwo();
  CHECK(text(s, "routers") ==
        "Router Information for Service: TCP Promiscuous 61\n"
        "        Routers Seeing this Wide Area Engine(1)\n"
        "        Router Id       Sent To         Recv ID  AssKeyIP        AssKeyCN  MemberCN  "
        "Fwd  Assign  Return\n"
        "        10.91.5.1       10.91.5.1       0000002a 10.91.5.11      2         3         "
        "GRE  Hash    GRE\n"
        "        Routers not Seeing this Wide Area Engine\n"
        "                -NONE-\n");
  s.services[0].routers[0].usable = false;
  s.services[0].routers[0].problem = "capabilities: router 10.91.5.1 offers no forwarding method";
  const std::string t = text(s, "routers");
  CHECK(t.find("Routers Seeing this Wide Area Engine(0)\n") != std::string::npos);
  CHECK(t.find("                10.91.5.1: capabilities: router 10.91.5.1 offers no forwarding "
               "method\n") != std::string::npos);
}

TEST_CASE("show wccp clients: the farm, the lead WAE, each WAE's buckets") {
  CHECK(text(farmOfTwo(), "clients") ==
        "Wide Area Engine List for Service: TCP Promiscuous 61\n"
        "Number of WAE's in the Cache farm: 2\n"
        "Assignment Key IP address: 10.91.5.11  Change Number: 2\n"
        "Assignment Made Flag = TRUE\n"
        "\n"
        "        IP address = 10.91.5.11      Lead WAE = YES  (this WAE)  Buckets = 128\n"
        "        Routers seeing this Wide Area Engine\n"
        "                10.91.5.1\n"
        "        IP address = 10.91.5.12      Lead WAE = NO   Buckets = 128\n"
        "        Routers seeing this Wide Area Engine\n"
        "                10.91.5.1\n");
}

TEST_CASE("show wccp masks: the mask and its values with the WAE of each") {
  WccpStatus s = farmOfTwo();
  CHECK(text(s, "masks") ==
        "Mask Assignments for Service: TCP Promiscuous 61\n"
        "        -NONE- (no mask assignment made by this WAE)\n");
  MaskAssignment m;
  m.key = {kBox1, 4};
  MaskValueSet set;
  set.mask.srcAddrMask = 0xf00;
  set.values = {{0x000, 0, 0, 0, kBox1}, {0x100, 0, 0, 0, kBox2}};
  m.sets = {set};
  s.services[0].assignment = AltAssignment{m};
  CHECK(text(s, "masks") ==
        "Mask Assignments for Service: TCP Promiscuous 61\n"
        "Mask      SrcAddr    DstAddr    SrcPort DstPort\n"
        "----      -------    -------    ------- -------\n"
        "0000:     0x00000f00 0x00000000 0x0000  0x0000\n"
        "\n"
        "Value     SrcAddr    DstAddr    SrcPort DstPort  CE-IP\n"
        "-----     -------    -------    ------- -------  -----\n"
        "0000:     0x00000000 0x00000000 0x0000  0x0000   0x0A5B050B (10.91.5.11)\n"
        "0001:     0x00000100 0x00000000 0x0000  0x0000   0x0A5B050C (10.91.5.12)\n");
}

TEST_CASE("show wccp gre and statistics: the counters") {
  const WccpStatus s = farmOfTwo();
  const std::string g = text(s, "gre");
  CHECK(g.find("Transparent GRE packets received:              7\n") == 0);
  CHECK(g.find("Total packets accepted:                        7\n") != std::string::npos);
  CHECK(g.find("Packets sent back to router:                   7\n") != std::string::npos);
  const std::string st = text(s, "statistics");
  CHECK(st.find("WCCP Stats for Service: TCP Promiscuous 61\n") == 0);
  CHECK(st.find("    Here_I_Am sent                      : 12\n") != std::string::npos);
  CHECK(st.find("    I_See_You rcvd                      : 11\n") != std::string::npos);
}

TEST_CASE("show wccp: a redirect loop is named in status, statistics and --json") {
  WccpStatus s = farmOfTwo();
  CHECK(text(s, "status").find("Redirect loops") == std::string::npos);
  CHECK(text(s, "statistics").find("    Redirect loops (own SYN came back)  : 0\n") !=
        std::string::npos);
  s.redirectLoops = 3;
  s.redirectLoop = "redirect loop: this box's own SYN came back";
  const std::string st = text(s, "status");
  CHECK(st.find("  Redirect loops           : 3 (flows reset)\n"
                "          Last problem: redirect loop: this box's own SYN came back\n") !=
        std::string::npos);
  CHECK(text(s, "statistics").find("    Redirect loops (own SYN came back)  : 3\n") !=
        std::string::npos);
  const auto j = showWccp(s, "status")["json"];
  CHECK(j["redirect_loops"]["count"] == 3);
  CHECK(j["redirect_loops"]["problem"] == "redirect loop: this box's own SYN came back");
}

TEST_CASE("show wccp --json carries the same facts; an unknown word is an error") {
  auto r = showWccp(farmOfTwo(), "services");
  REQUIRE(r["ok"] == true);
  const auto& j = r["json"];
  CHECK(j["web_cache"] == "10.91.5.11");
  CHECK(j["mss"] == 1432);
  REQUIRE(j["services"].size() == 1);
  CHECK(j["services"][0]["name"] == "TCP Promiscuous 61");
  CHECK(j["services"][0]["designated"] == "10.91.5.11");
  CHECK(j["services"][0]["buckets"]["10.91.5.12"] == 128);
  CHECK(j["services"][0]["routers"][0]["usable"] == true);
  CHECK(j["services"][0]["routers"][0]["forwarding"] == "GRE");
  CHECK(j["gre"]["returned"] == 7);
  CHECK(text(farmOfTwo(), "services").find("        TCP Promiscuous 61\n") != std::string::npos);
  CHECK(showWccp(farmOfTwo(), "bogus")["ok"] == false);
}
