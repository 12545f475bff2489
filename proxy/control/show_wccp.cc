#include "proxy/control/show_wccp.h"

#include <cstdarg>
#include <cstdio>

#include "common/ip_address.h"
#include "proxy/control/reply.h"

namespace bh::proxy {

namespace w = redirect::wccp;

namespace {

std::string ip(uint32_t a) {
  return IpAddress::v4(a).toString();
}

std::string fmt(const char* f, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof(buf), f, ap);
  va_end(ap);
  return buf;
}

const char* methodWord(uint32_t m, bool assignment) {
  if (assignment) {
    return m == w::method::kMask ? "Mask" : m == w::method::kHash ? "Hash" : "-";
  }
  return m == w::method::kL2 ? "L2" : m == w::method::kGre ? "GRE" : "-";
}

std::string serviceHeader(const char* what, const redirect::WccpServiceStatus& v) {
  return std::string(what) + " for Service: " + wccpServiceName(v.service) + "\n";
}

/// The buckets of each web cache in a hash assignment (index into webCaches -> count).
std::vector<int> bucketCounts(const w::HashAssignment& h) {
  std::vector<int> n(h.webCaches.size(), 0);
  for (uint8_t b : h.buckets) {
    if (b != w::kUnassignedBucket && (b & 0x7f) < n.size()) {
      ++n[b & 0x7f];
    }
  }
  return n;
}

}  // namespace

std::string wccpServiceName(const w::ServiceInfo& s) {
  if (s.type == w::ServiceType::Standard) {
    return s.id == 0 ? "Web Cache (HTTP)" : "Standard Service " + std::to_string(s.id);
  }
  if (s.id == 61 || s.id == 62) {
    return "TCP Promiscuous " + std::to_string(s.id);
  }
  return "Dynamic Service " + std::to_string(s.id);
}

std::string showWccpStatus(const redirect::WccpStatus& s) {
  std::string o = "WCCP Interception :\n";
  o += fmt("  Configured State         : %s\n", s.enabled ? "Enabled" : "Disabled");
  bool anyUsable = false;
  for (const auto& v : s.services) {
    for (const auto& r : v.routers) {
      anyUsable = anyUsable || r.usable;
    }
  }
  o += fmt("  Operational State        : %s\n", !s.enabled  ? "Disabled"
                                                : anyUsable ? "Enabled"
                                                            : "Negotiating membership");
  if (!s.enabled) {
    return o;
  }
  o += fmt("  Web Cache Address        : %s (%s)\n", ip(s.self).c_str(), s.interface.c_str());
  o += fmt("  Redirect Method          : %s (configured), decapsulated into %s\n",
           s.forwarding.c_str(), s.tunnel.c_str());
  o += fmt("  Egress Method            : %s (configured)\n", s.returns.c_str());
  o += fmt("  Assignment Method        : %s (configured)\n", s.assignment.c_str());
  o += fmt("  TCP MSS clamped to       : %u\n", s.mss);
  o += "  Services Enabled on this WAE:\n";
  for (const auto& v : s.services) {
    std::string state = "Negotiating membership";
    for (const auto& r : v.routers) {
      if (r.usable) {
        state = "Member";
      }
    }
    if (v.routers.empty()) {
      state +=
          ": no I_SEE_YOU from any router (a router refuses a wrong password or a "
          "conflicting service definition silently)";
    }
    o += "        " + wccpServiceName(v.service) + ": " + state + "\n";
    if (v.designated) {
      o += "          Lead WAE: " + ip(*v.designated) +
           (*v.designated == s.self ? " (this WAE)" : "") + "\n";
    }
    if (!v.lastProblem.empty()) {
      o += "          Last problem: " + v.lastProblem + "\n";
    }
  }
  if (s.redirectLoops != 0) {
    o += fmt("  Redirect loops           : %llu (flows reset)\n",
             static_cast<unsigned long long>(s.redirectLoops));
    o += "          Last problem: " + s.redirectLoop + "\n";
  }
  return o;
}

std::string showWccpServices(const redirect::WccpStatus& s) {
  std::string o = "Services configured on this Wide Area Engine\n";
  for (const auto& v : s.services) {
    o += "        " + wccpServiceName(v.service) + "\n";
    o += fmt("          Service Type: %s  Priority: %u  Protocol: %u  Flags: 0x%04x\n",
             v.service.type == w::ServiceType::Dynamic ? "dynamic" : "standard", v.service.priority,
             v.service.protocol, v.service.flags);
    std::string ports;
    for (uint16_t p : v.service.ports) {
      if (p != 0) {
        ports += " " + std::to_string(p);
      }
    }
    o += "          Ports:" + (ports.empty() ? std::string(" any") : ports) + "\n";
    o += fmt("          Weight: %u  Security: %s\n", v.weight, v.password.c_str());
  }
  return o;
}

std::string showWccpRouters(const redirect::WccpStatus& s) {
  std::string o;
  for (const auto& v : s.services) {
    o += serviceHeader("Router Information", v);
    int seeing = 0;
    for (const auto& r : v.routers) {
      seeing += r.usable ? 1 : 0;
    }
    o += fmt("        Routers Seeing this Wide Area Engine(%d)\n", seeing);
    o += "        Router Id       Sent To         Recv ID  AssKeyIP        AssKeyCN  MemberCN  "
         "Fwd  Assign  Return\n";
    for (const auto& r : v.routers) {
      if (r.usable) {
        o +=
            fmt("        %-15s %-15s %08x %-15s %-9u %-9u %-4s %-7s %s\n", ip(r.routerId).c_str(),
                ip(r.address).c_str(), r.receiveId, ip(r.assignmentKey.address).c_str(),
                r.assignmentKey.changeNumber, r.memberChangeNumber, methodWord(r.forwarding, false),
                methodWord(r.assignment, true), methodWord(r.returns, false));
      }
    }
    o += "        Routers not Seeing this Wide Area Engine\n";
    bool none = true;
    for (const auto& r : v.routers) {
      if (!r.usable) {
        o += "                " + ip(r.routerId) + ": " + r.problem + "\n";
        none = false;
      }
    }
    if (none) {
      o += "                -NONE-\n";
    }
  }
  return o;
}

std::string showWccpClients(const redirect::WccpStatus& s) {
  std::string o;
  for (const auto& v : s.services) {
    o += serviceHeader("Wide Area Engine List", v);
    o += fmt("Number of WAE's in the Cache farm: %zu\n", v.members.size());
    const w::HashAssignment* hash =
        v.assignment ? std::get_if<w::HashAssignment>(&v.assignment->body) : nullptr;
    const w::MaskAssignment* mask =
        v.assignment ? std::get_if<w::MaskAssignment>(&v.assignment->body) : nullptr;
    if (hash != nullptr || mask != nullptr) {
      const w::AssignmentKey& k = hash ? hash->key : mask->key;
      o += fmt("Assignment Key IP address: %s  Change Number: %u\n", ip(k.address).c_str(),
               k.changeNumber);
    }
    o += fmt("Assignment Made Flag = %s\n", v.assignment ? "TRUE" : "FALSE");
    o += "\n";
    for (uint32_t m : v.members) {
      std::string buckets;
      if (hash != nullptr) {
        const auto counts = bucketCounts(*hash);
        for (size_t i = 0; i < hash->webCaches.size(); ++i) {
          if (hash->webCaches[i] == m) {
            buckets = fmt("  Buckets = %d", counts[i]);
          }
        }
      }
      o +=
          fmt("        IP address = %-15s Lead WAE = %-3s%s%s\n", ip(m).c_str(),
              v.designated == m ? "YES" : "NO", m == s.self ? "  (this WAE)" : "", buckets.c_str());
      std::string routers;
      for (const auto& r : v.routers) {
        for (uint32_t c : r.webCaches) {
          if (c == m) {
            routers += "                " + ip(r.routerId) + "\n";
          }
        }
      }
      o += "        Routers seeing this Wide Area Engine\n" +
           (routers.empty() ? std::string("                -NONE-\n") : routers);
    }
  }
  return o;
}

std::string showWccpMasks(const redirect::WccpStatus& s) {
  std::string o;
  for (const auto& v : s.services) {
    o += serviceHeader("Mask Assignments", v);
    const w::MaskAssignment* mask =
        v.assignment ? std::get_if<w::MaskAssignment>(&v.assignment->body) : nullptr;
    if (mask == nullptr) {
      o += "        -NONE- (no mask assignment made by this WAE)\n";
      continue;
    }
    for (size_t i = 0; i < mask->sets.size(); ++i) {
      const auto& set = mask->sets[i];
      o += "Mask      SrcAddr    DstAddr    SrcPort DstPort\n";
      o += "----      -------    -------    ------- -------\n";
      o += fmt("%04zu:     0x%08x 0x%08x 0x%04x  0x%04x\n\n", i, set.mask.srcAddrMask,
               set.mask.dstAddrMask, set.mask.srcPortMask, set.mask.dstPortMask);
      o += "Value     SrcAddr    DstAddr    SrcPort DstPort  CE-IP\n";
      o += "-----     -------    -------    ------- -------  -----\n";
      for (size_t k = 0; k < set.values.size(); ++k) {
        const auto& val = set.values[k];
        o += fmt("%04zu:     0x%08x 0x%08x 0x%04x  0x%04x   0x%08X (%s)\n", k, val.srcAddr,
                 val.dstAddr, val.srcPort, val.dstPort, val.webCache, ip(val.webCache).c_str());
      }
    }
  }
  return o;
}

std::string showWccpGre(const redirect::WccpStatus& s) {
  const auto& g = s.gre;
  std::string o;
  auto row = [&o](const char* label, uint64_t v) {
    o += fmt("%-47s%llu\n", label, static_cast<unsigned long long>(v));
  };
  row("Transparent GRE packets received:", g.received);
  row("Total packets accepted:", g.decapsulated);
  row("Total bytes accepted:", g.decapsulatedBytes);
  row("Packets received from an unknown router:", g.fromUnknownRouter);
  row("Invalid packets received:", g.malformed);
  row("Packets received with invalid service:", g.otherService);
  row("Packets failed delivery to the TPROXY path:", g.tunWriteErrors);
  row("Packets fragmented (GRE over the MTU):", g.overMtu);
  row("Packets sent back to router:", g.returned);
  row("Bytes sent back to router:", g.returnedBytes);
  row("Packets failed return to router:", g.returnErrors);
  return o;
}

std::string showWccpStatistics(const redirect::WccpStatus& s) {
  std::string o;
  for (const auto& v : s.services) {
    const auto& c = v.counters;
    o += "WCCP Stats for Service: " + wccpServiceName(v.service) + "\n";
    auto row = [&o](const char* label, uint64_t n) {
      o += fmt("    %-36s: %llu\n", label, static_cast<unsigned long long>(n));
    };
    row("Here_I_Am sent", c.hereIAmSent);
    row("I_See_You rcvd", c.iSeeYouReceived);
    row("Redirect_Assign sent", c.redirectAssignSent);
    row("Removal_Query rcvd", c.removalQueries);
    row("Security failures (MD5)", c.securityFailures);
    row("Service definition conflicts", c.serviceConflicts);
    row("Capability mismatches", c.capabilityMismatches);
    row("Malformed messages", c.malformed);
    row("Routers lost (silent 30 s)", c.routersLost);
    row("Router ID changes", c.routerIdChanges);
  }
  o += fmt("WCCP Stats for this WAE\n    %-36s: %llu\n", "Redirect loops (own SYN came back)",
           static_cast<unsigned long long>(s.redirectLoops));
  return o;
}

nlohmann::json wccpJson(const redirect::WccpStatus& s) {
  using nlohmann::json;
  json services = json::array();
  for (const auto& v : s.services) {
    json routers = json::array();
    for (const auto& r : v.routers) {
      json caches = json::array();
      for (uint32_t c : r.webCaches) {
        caches.push_back(ip(c));
      }
      routers.push_back({{"router_id", ip(r.routerId)},
                         {"address", ip(r.address)},
                         {"receive_id", r.receiveId},
                         {"member_change_number", r.memberChangeNumber},
                         {"assignment_key", ip(r.assignmentKey.address)},
                         {"assignment_change_number", r.assignmentKey.changeNumber},
                         {"usable", r.usable},
                         {"forwarding", methodWord(r.forwarding, false)},
                         {"assignment", methodWord(r.assignment, true)},
                         {"return", methodWord(r.returns, false)},
                         {"web_caches", caches},
                         {"problem", r.problem}});
    }
    json members = json::array();
    for (uint32_t m : v.members) {
      members.push_back(ip(m));
    }
    json buckets = json::object();
    if (v.assignment) {
      if (const auto* h = std::get_if<w::HashAssignment>(&v.assignment->body)) {
        const auto counts = bucketCounts(*h);
        for (size_t i = 0; i < h->webCaches.size(); ++i) {
          buckets[ip(h->webCaches[i])] = counts[i];
        }
      }
    }
    const auto& c = v.counters;
    services.push_back({{"id", v.service.id},
                        {"name", wccpServiceName(v.service)},
                        {"flags", v.service.flags},
                        {"priority", v.service.priority},
                        {"protocol", v.service.protocol},
                        {"weight", v.weight},
                        {"security", v.password},
                        {"designated", v.designated ? ip(*v.designated) : ""},
                        {"members", members},
                        {"assignment_made", v.assignment.has_value()},
                        {"buckets", buckets},
                        {"routers", routers},
                        {"last_problem", v.lastProblem},
                        {"counters",
                         {{"here_i_am_sent", c.hereIAmSent},
                          {"i_see_you_received", c.iSeeYouReceived},
                          {"redirect_assign_sent", c.redirectAssignSent},
                          {"removal_queries", c.removalQueries},
                          {"security_failures", c.securityFailures},
                          {"service_conflicts", c.serviceConflicts},
                          {"capability_mismatches", c.capabilityMismatches},
                          {"malformed", c.malformed},
                          {"routers_lost", c.routersLost},
                          {"router_id_changes", c.routerIdChanges}}}});
  }
  const auto& g = s.gre;
  return {{"enabled", s.enabled},
          {"web_cache", ip(s.self)},
          {"interface", s.interface},
          {"tunnel", s.tunnel},
          {"mss", s.mss},
          {"forwarding", s.forwarding},
          {"return", s.returns},
          {"assignment", s.assignment},
          {"services", services},
          {"gre",
           {{"received", g.received},
            {"accepted", g.decapsulated},
            {"accepted_bytes", g.decapsulatedBytes},
            {"from_unknown_router", g.fromUnknownRouter},
            {"invalid", g.malformed},
            {"invalid_service", g.otherService},
            {"tun_write_errors", g.tunWriteErrors},
            {"fragmented_over_mtu", g.overMtu},
            {"returned", g.returned},
            {"returned_bytes", g.returnedBytes},
            {"return_errors", g.returnErrors}}},
          {"redirect_loops", {{"count", s.redirectLoops}, {"problem", s.redirectLoop}}}};
}

nlohmann::json showWccp(const redirect::WccpStatus& s, const std::string& what) {
  std::string text;
  if (what == "status") {
    text = showWccpStatus(s);
  } else if (what == "services") {
    text = showWccpServices(s);
  } else if (what == "routers") {
    text = showWccpRouters(s);
  } else if (what == "clients") {
    text = showWccpClients(s);
  } else if (what == "masks") {
    text = showWccpMasks(s);
  } else if (what == "gre") {
    text = showWccpGre(s);
  } else if (what == "statistics") {
    text = showWccpStatistics(s);
  } else {
    return replyError("show wccp status|services|routers|clients|masks|gre|statistics");
  }
  return replyOk(text, wccpJson(s));
}

}  // namespace bh::proxy
