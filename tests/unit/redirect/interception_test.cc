#include "redirect/interception.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "redirect/rule_installer.h"

using namespace bh::redirect;

namespace {

bool contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

/// Records every command; answers with the exit codes a test sets per tool.
class RecordingRunner : public CommandRunner {
 public:
  CommandResult run(const std::vector<std::string>& argv, const std::string& input) override {
    std::string line;
    for (const auto& a : argv) {
      line += (line.empty() ? "" : " ") + a;
    }
    calls.push_back(line);
    inputs.push_back(input);
    for (const auto& [prefix, rc] : exitCodes) {
      if (line.rfind(prefix, 0) == 0) {
        return {rc, rc ? "boom" : ""};
      }
    }
    return {0, ""};
  }
  std::vector<std::string> calls, inputs;
  std::map<std::string, int> exitCodes;
};

InterceptionSpec edgeSpec() {
  InterceptionSpec s;
  s.edge = true;
  s.listenPort = 7878;
  s.queueNum = 3;
  s.lanInterfaces = {"lan0"};
  s.passThroughPorts = {22, 179};
  return s;
}

}  // namespace

TEST_CASE("edge rules: TPROXY new client SYNs from the LAN, queue only SYN and SYN-ACK") {
  RuleSet rs = buildRules(edgeSpec());
  CHECK(contains(rs.nftScript, "delete table inet bridgehead"));
  CHECK(contains(rs.nftScript, "socket transparent 1 meta mark set 0x1b01 accept"));
  CHECK(contains(rs.nftScript,
                 "iifname { \"lan0\" } meta l4proto tcp tcp flags & (syn | ack | rst) == syn"));
  CHECK(contains(rs.nftScript, "tcp dport != { 22, 179 }"));
  CHECK(contains(rs.nftScript, "meta nfproto ipv4 tproxy ip to :7878"));
  CHECK(contains(rs.nftScript, "meta nfproto ipv6 tproxy ip6 to :7878"));
  CHECK_FALSE(contains(rs.nftScript, "0x1b04"));  // no core rules on an edge
  // Only handshake packets are queued, always with bypass so traffic never blocks.
  CHECK(contains(rs.iptablesV4,
                 "--syn -m mark --mark 0x1b02/0xffff -j NFQUEUE --queue-num 3 --queue-bypass"));
  CHECK(contains(rs.iptablesV4,
                 "--tcp-flags SYN,ACK,RST SYN,ACK -m socket --transparent -j NFQUEUE"));
  CHECK(contains(rs.iptablesV4, ":BRIDGEHEAD-PRE - [0:0]"));
  CHECK(rs.routeSetup.size() == 4);
}

TEST_CASE("core rules: TPROXY only SYNs the queue handler marked as discovered") {
  InterceptionSpec s;
  s.core = true;
  s.listenPort = 7878;
  s.queueNum = 4;
  RuleSet rs = buildRules(s);
  CHECK(contains(
      rs.nftScript,
      "meta mark & 0xffff == 0x1b04 meta l4proto tcp meta nfproto ipv4 tproxy ip to :7878"));
  CHECK_FALSE(contains(rs.nftScript, "iifname"));
  CHECK(contains(rs.iptablesV4,
                 "-A BRIDGEHEAD-PRE -p tcp --syn -j NFQUEUE --queue-num 4 --queue-bypass"));
  CHECK(contains(rs.iptablesV4,
                 "-A BRIDGEHEAD-OUT -p tcp --tcp-flags SYN,ACK,RST SYN,ACK -j NFQUEUE"));
}

TEST_CASE("install adds each jump once and replaces policy routing; remove undoes it") {
  RecordingRunner r;
  r.exitCodes["iptables -w -t mangle -C"] = 1;  // jumps not there yet (v4)
  RuleInstaller inst(r);
  REQUIRE(inst.install(edgeSpec()));
  int inserts = 0, routeDeletes = 0;
  for (const auto& c : r.calls) {
    inserts += contains(c, " -I ") ? 1 : 0;
    routeDeletes += contains(c, "rule del fwmark") ? 1 : 0;
  }
  CHECK(inserts == 3);       // v6 jumps "exist" (-C succeeds), v4 ones are inserted
  CHECK(routeDeletes == 2);  // leftovers of a crash removed before adding
  CHECK(r.calls.front() == "nft -f -");

  r.calls.clear();
  inst.remove(edgeSpec());
  CHECK(contains(r.calls.front(), "nft delete table inet bridgehead"));
}

TEST_CASE("install reports the failing tool and stops") {
  RecordingRunner r;
  r.exitCodes["nft -f -"] = 1;
  RuleInstaller inst(r);
  CHECK_FALSE(inst.install(edgeSpec()));
  CHECK(contains(inst.error(), "nft"));
  CHECK(r.calls.size() == 1);
}

TEST_CASE("remove is bounded even when the tool keeps answering success") {
  RecordingRunner r;  // every -D "succeeds"
  RuleInstaller inst(r);
  inst.remove(edgeSpec());
  CHECK(r.calls.size() < 300);
}

TEST_CASE("peer route table: consulted only by our peer legs' marks, flushed on teardown") {
  InterceptionSpec s = edgeSpec();
  RuleSet none = buildRules(s);
  for (const auto& cmd : none.routeSetup) {
    CHECK(std::find(cmd.begin(), cmd.end(), "28") == cmd.end());
  }
  s.peerRouteTable = 28;
  RuleSet rs = buildRules(s);
  auto has = [](const std::vector<std::vector<std::string>>& cmds, std::vector<std::string> want) {
    return std::find(cmds.begin(), cmds.end(), want) != cmds.end();
  };
  for (std::string fam : {"-4", "-6"}) {
    CHECK(
        has(rs.routeSetup, {"ip", fam, "rule", "add", "fwmark", "0x1b02/0xffff", "lookup", "28"}));
    CHECK(
        has(rs.routeSetup, {"ip", fam, "rule", "add", "fwmark", "0x1b05/0xffff", "lookup", "28"}));
    CHECK(has(rs.routeTeardown,
              {"ip", fam, "rule", "del", "fwmark", "0x1b02/0xffff", "lookup", "28"}));
    CHECK(has(rs.routeTeardown,
              {"ip", fam, "rule", "del", "fwmark", "0x1b05/0xffff", "lookup", "28"}));
    CHECK(has(rs.routeTeardown, {"ip", fam, "route", "flush", "table", "28"}));
  }
  // Every rule set up has its inverse in the teardown.
  CHECK(rs.routeSetup.size() == 8);
}

TEST_CASE("wccp rules: the TUN is a LAN interface, SYNs' MSS clamped, returns routed back in") {
  InterceptionSpec s = edgeSpec();
  s.lanInterfaces = {"bhwccp0"};
  s.wccpTunnel = "bhwccp0";
  s.wccpMss = 1432;
  RuleSet rs = buildRules(s);
  CHECK(contains(rs.nftScript, "iifname { \"bhwccp0\" } meta l4proto tcp"));
  CHECK(contains(rs.nftScript,
                 "type filter hook output priority mangle; policy accept;\n"
                 "    meta l4proto tcp tcp flags & (syn | rst) == syn tcp option "
                 "maxseg size > 1432 tcp option maxseg size set 1432\n"));
  auto has = [](const std::vector<std::vector<std::string>>& cmds, const std::string& line) {
    return std::any_of(cmds.begin(), cmds.end(), [&](const auto& c) {
      std::string l;
      for (const auto& a : c) {
        l += (l.empty() ? "" : " ") + a;
      }
      return l == line;
    });
  };
  // Only unmarked packets (no socket, no TPROXY) go back into the TUN to be returned.
  CHECK(has(rs.routeSetup, "ip -4 rule add iif bhwccp0 fwmark 0x0/0xffff lookup 29"));
  CHECK(has(rs.routeSetup, "ip -4 route replace default dev bhwccp0 table 29"));
  CHECK(has(rs.routeTeardown, "ip -4 rule del iif bhwccp0 fwmark 0x0/0xffff lookup 29"));
  CHECK(has(rs.routeTeardown, "ip -4 route flush table 29"));
  // No loop rule unless the option's kind is given.
  CHECK_FALSE(contains(rs.iptablesV4, "--tcp-option"));
  // A SYN coming in with the discovery option is queued: the box's own, if it looped back.
  s.wccpLoopOptionKind = 253;
  CHECK(contains(buildRules(s).iptablesV4,
                 "-A BRIDGEHEAD-PRE -p tcp --syn -m tcp --tcp-option "
                 "253 -j NFQUEUE --queue-num 3 --queue-bypass\n"));
  // Inline: none of it.
  RuleSet inl = buildRules(edgeSpec());
  CHECK_FALSE(contains(inl.iptablesV4, "--tcp-option"));
  CHECK_FALSE(contains(inl.nftScript, "maxseg"));
  CHECK_FALSE(has(inl.routeSetup, "ip -4 route flush table 29"));
  CHECK_FALSE(has(inl.routeSetup, "ip -4 route replace default dev bhwccp0 table 29"));
}
