#include "redirect/interception.h"

#include <cstdio>
#include <sstream>

namespace bh::redirect {

namespace {

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%x", v);
  return buf;
}

std::string portSet(const std::vector<uint16_t>& ports) {
  std::ostringstream s;
  s << "{ ";
  for (size_t i = 0; i < ports.size(); ++i) {
    s << (i ? ", " : "") << ports[i];
  }
  s << " }";
  return s.str();
}

std::string mark(uint32_t m) {
  return hex(m) + "/" + hex(Marks::kMask);
}

// The xt NFQUEUE rules (SYN and SYN-ACK only, --queue-bypass so traffic is never blocked when
// the daemon is not there), in the owned chains <prefix>-PRE / -POST / -OUT of table mangle.
std::string iptablesRules(const InterceptionSpec& spec) {
  const std::string pre = spec.chainPrefix + "-PRE";
  const std::string post = spec.chainPrefix + "-POST";
  const std::string out = spec.chainPrefix + "-OUT";
  const std::string q =
      "-j NFQUEUE --queue-num " + std::to_string(spec.queueNum) + " --queue-bypass";
  std::ostringstream s;
  s << "*mangle\n";
  // Declaring a chain in restore input flushes it: re-applying is idempotent.
  s << ":" << pre << " - [0:0]\n:" << post << " - [0:0]\n:" << out << " - [0:0]\n";
  if (spec.edge) {
    // The core's SYN-ACK to one of our outbound legs: read (and strip) its answer option.
    s << "-A " << pre << " -p tcp --tcp-flags SYN,ACK,RST SYN,ACK -m socket --transparent " << q
      << "\n";
    // Our own outbound SYN: add the auto-discovery option.
    s << "-A " << post << " -p tcp --syn -m mark --mark " << mark(Marks::kOutDiscover) << " " << q
      << "\n";
    if (!spec.core && !spec.wccpTunnel.empty() && spec.wccpLoopOptionKind != 0) {
      // A SYN coming in with an edge's option: ours, if a router redirected it back (a core
      // queues every SYN anyway, below).
      s << "-A " << pre << " -p tcp --syn -m tcp --tcp-option "
        << static_cast<int>(spec.wccpLoopOptionKind) << " " << q << "\n";
    }
  }
  if (spec.core) {
    // Any new SYN crossing the box may carry a peer's option; the handler marks those.
    s << "-A " << pre << " -p tcp --syn " << q << "\n";
    // Our listener's SYN-ACK to a discovered flow: add the answer option.
    s << "-A " << out << " -p tcp --tcp-flags SYN,ACK,RST SYN,ACK " << q << "\n";
  }
  s << "COMMIT\n";
  return s.str();
}

}  // namespace

RuleSet buildRules(const InterceptionSpec& spec) {
  RuleSet rs;
  const std::string port = std::to_string(spec.listenPort);
  std::ostringstream n;
  // `table; delete table; table {...}` in one file is one transaction: the old rules are
  // replaced atomically, and it works whether or not the table existed (crash leftovers).
  n << "table inet " << spec.tableName << "\n";
  n << "delete table inet " << spec.tableName << "\n";
  n << "table inet " << spec.tableName << " {\n";
  n << "  chain prerouting {\n";
  // After iptables' mangle PREROUTING (-150), where the NFQUEUE verdict sets kDiscovered.
  n << "    type filter hook prerouting priority mangle + 10; policy accept;\n";
  // Packets of flows we already own go to their (transparent) socket.
  n << "    meta l4proto tcp socket transparent 1 meta mark set " << hex(Marks::kLocal)
    << " accept\n";
  if (spec.core) {
    n << "    meta mark & " << hex(Marks::kMask) << " == " << hex(Marks::kDiscovered)
      << " meta l4proto tcp meta nfproto ipv4 tproxy ip to :" << port << " meta mark set "
      << hex(Marks::kLocal) << " accept\n";
    n << "    meta mark & " << hex(Marks::kMask) << " == " << hex(Marks::kDiscovered)
      << " meta l4proto tcp meta nfproto ipv6 tproxy ip6 to :" << port << " meta mark set "
      << hex(Marks::kLocal) << " accept\n";
  }
  if (spec.edge) {
    std::string match = "meta l4proto tcp tcp flags & (syn | ack | rst) == syn";
    if (!spec.lanInterfaces.empty()) {
      std::string ifs = "{ ";
      for (size_t i = 0; i < spec.lanInterfaces.size(); ++i) {
        ifs += (i ? ", \"" : "\"") + spec.lanInterfaces[i] + "\"";
      }
      ifs += " }";
      match = "iifname " + ifs + " " + match;
    }
    if (!spec.passThroughPorts.empty()) {
      match += " tcp dport != " + portSet(spec.passThroughPorts);
    }
    // Only flows crossing the router, never ones addressed to the router itself.
    match += " fib daddr type != local";
    n << "    " << match << " meta nfproto ipv4 tproxy ip to :" << port << " meta mark set "
      << hex(Marks::kLocal) << " accept\n";
    n << "    " << match << " meta nfproto ipv6 tproxy ip6 to :" << port << " meta mark set "
      << hex(Marks::kLocal) << " accept\n";
  }
  n << "  }\n";
  if (!spec.wccpTunnel.empty()) {
    // Every segment sent to this box reaches it inside GRE (28 bytes more): the client's to the
    // listener (61) and the server's or core's to its outbound legs (62). The MSS the box
    // announces in its SYNs and SYN-ACKs leaves room for them, so the router never fragments.
    n << "  chain output {\n";
    n << "    type filter hook output priority mangle; policy accept;\n";
    n << "    meta l4proto tcp tcp flags & (syn | rst) == syn tcp option maxseg size > "
      << spec.wccpMss << " tcp option maxseg size set " << spec.wccpMss << "\n";
    n << "  }\n";
  }
  n << "}\n";
  rs.nftScript = n.str();
  rs.iptablesV4 = iptablesRules(spec);
  rs.iptablesV6 = rs.iptablesV4;

  const std::string table = std::to_string(spec.routeTable);
  const std::string fw = mark(Marks::kLocal);
  for (const char* fam : {"-4", "-6"}) {
    std::string any = std::string(fam) == "-4" ? "0.0.0.0/0" : "::/0";
    rs.routeSetup.push_back({"ip", fam, "rule", "add", "fwmark", fw, "lookup", table});
    rs.routeSetup.push_back(
        {"ip", fam, "route", "replace", "local", any, "dev", "lo", "table", table});
    rs.routeTeardown.push_back({"ip", fam, "rule", "del", "fwmark", fw, "lookup", table});
    rs.routeTeardown.push_back({"ip", fam, "route", "flush", "table", table});
    if (spec.peerRouteTable != 0) {
      // A lookup that finds no peer route here goes on to the next rule: only the addresses
      // of peers are affected, and only for our own sockets.
      const std::string peers = std::to_string(spec.peerRouteTable);
      for (uint32_t m : {Marks::kOutDiscover, Marks::kPeerReply}) {
        rs.routeSetup.push_back({"ip", fam, "rule", "add", "fwmark", mark(m), "lookup", peers});
        rs.routeTeardown.push_back({"ip", fam, "rule", "del", "fwmark", mark(m), "lookup", peers});
      }
      rs.routeTeardown.push_back({"ip", fam, "route", "flush", "table", peers});
    }
  }
  if (!spec.wccpTunnel.empty()) {
    // What came in on the TUN and was not taken (unmarked: no socket, no TPROXY) goes back out
    // of it to the agent, which returns it to the router (draft 4.12).
    const std::string t = std::to_string(spec.wccpReturnTable);
    rs.routeSetup.push_back({"ip", "-4", "rule", "add", "iif", spec.wccpTunnel, "fwmark",
                             "0x0/" + hex(Marks::kMask), "lookup", t});
    rs.routeSetup.push_back(
        {"ip", "-4", "route", "replace", "default", "dev", spec.wccpTunnel, "table", t});
    rs.routeTeardown.push_back({"ip", "-4", "rule", "del", "iif", spec.wccpTunnel, "fwmark",
                                "0x0/" + hex(Marks::kMask), "lookup", t});
    rs.routeTeardown.push_back({"ip", "-4", "route", "flush", "table", t});
  }
  return rs;
}

}  // namespace bh::redirect
