#include "proxy/control/show_connections.h"

#include <cstdio>
#include <ctime>

namespace bh::proxy {

namespace {

/// The peer leg's WAN secure, as the detail shows it: secured, or why not.
std::string wanSecureText(const FlowInfo& f) {
  if (f.wanSecured) {
    return std::string("secured (") + legSecurityName(f.legSecurity) + ")";
  }
  return "clear" + (f.wanSecureOff.empty() ? std::string() : " (" + f.wanSecureOff + ")");
}

std::string line(const char* label, uint64_t v) {
  char buf[128];
  std::snprintf(buf, sizeof(buf), "%-48s%llu\n", label, static_cast<unsigned long long>(v));
  return buf;
}

std::string field(const char* label, const std::string& v) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%-30s%s\n", label, v.c_str());
  return buf;
}

std::string timeText(uint64_t unix) {
  time_t t = static_cast<time_t>(unix);
  tm tmv{};
  localtime_r(&t, &tmv);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Y", &tmv);
  return buf;
}

std::string rrText(double rr) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%.1f%%", rr);
  return buf;
}

std::string stateName(const FlowInfo& f) {
  switch (f.state) {
    case FlowState::AutoDiscovery:
      return "auto-discovery";
    case FlowState::Optimized:
      return "optimized";
    case FlowState::PassThrough:
      return "pass-through";
    case FlowState::Closing:
      return "closing";
  }
  return "unknown";
}

}  // namespace

bool ConnectionFilter::parse(const std::vector<std::string>& words, ConnectionFilter& out,
                             std::string& error) {
  for (const auto& w : words) {
    if (w == "optimized" || w == "opt") {
      out.kind = Kind::Optimized;
    } else if (w == "pass-through" || w == "pass") {
      out.kind = Kind::PassThrough;
    } else if (w == "detail") {
      out.detail = true;
    } else if (w == "mapi" || w == "epm" || w == "tfo") {
      out.accelerator = w;
    } else {
      error = "unknown word '" + w + "' (optimized, pass-through, mapi, epm, tfo, detail)";
      return false;
    }
  }
  return true;
}

bool ConnectionFilter::matches(const FlowInfo& f) const {
  if (kind == Kind::Optimized && f.state != FlowState::Optimized) {
    return false;
  }
  if (kind == Kind::PassThrough && f.state != FlowState::PassThrough) {
    return false;
  }
  if (accelerator == "mapi") {
    return f.acceleratorApplied == codec::Accelerator::Mapi;
  }
  if (accelerator == "epm") {
    return f.acceleratorApplied == codec::Accelerator::Epm;
  }
  if (accelerator == "tfo") {
    return f.state == FlowState::Optimized;
  }
  return true;
}

ConnectionCounters countFlows(const std::vector<FlowInfo>& flows, uint64_t historical,
                              const policy::LimiterCounters& limiter) {
  ConnectionCounters c;
  for (const auto& f : flows) {
    switch (f.state) {
      case FlowState::Optimized: {
        ++c.optimized;
        bool plus = (f.policy.applied & (codec::PolicyBits::Dre | codec::PolicyBits::Lz)) != 0 ||
                    f.acceleratorApplied != codec::Accelerator::None;
        ++(plus ? c.tcpPlus : c.tcpOnly);
        break;
      }
      case FlowState::AutoDiscovery:
        ++c.autoDiscovery;
        break;
      case FlowState::PassThrough:
        ++c.passThrough;
        break;
      case FlowState::Closing:
        break;
    }
  }
  c.reserved = limiter.reservedUnused;
  c.historical = historical;
  return c;
}

std::string showConnections(const std::vector<FlowInfo>& flows, const ConnectionCounters& c,
                            const ConnectionFilter& filter) {
  std::string s;
  s += line("Current Active Optimized Flows:", c.optimized);
  s += line("Current Active Optimized TCP Plus Flows:", c.tcpPlus);
  s += line("Current Active Optimized TCP Only Flows:", c.tcpOnly);
  s += line("Current Active Optimized TCP Preposition Flows:", 0);
  s += line("Current Active Auto-Discovery Flows:", c.autoDiscovery);
  s += line("Current Reserved Flows:", c.reserved);
  s += line("Current Active Pass-Through Flows:", c.passThrough);
  s += line("Historical Flows:", c.historical);
  s += "\n";
  if (!filter.detail) {
    s += "D:DRE,L:LZ,T:TCP Optimization RR:Total Reduction Ratio\n";
    s += "A:AOIM,C:CIFS,E:EPM,G:GENERIC,H:HTTP,M:MAPI,N:NFS,S:SSL,V:VIDEO\n\n";
    char buf[256];
    std::snprintf(buf, sizeof(buf), "%-8s%-24s%-24s%-20s%-6s%s\n", "ConnID", "Source IP:Port",
                  "Dest IP:Port", "PeerID", "Accel", "RR");
    s += buf;
    for (const auto& f : flows) {
      if (!filter.matches(f)) {
        continue;
      }
      std::string accel = f.state == FlowState::PassThrough ? "PT" : f.accelLetters();
      std::snprintf(buf, sizeof(buf), "%-8llu%-24s%-24s%-20s%-6s%s\n",
                    static_cast<unsigned long long>(f.connId), f.client.toString().c_str(),
                    f.server.toString().c_str(), f.peerId.empty() ? "N/A" : f.peerId.c_str(),
                    accel.c_str(), rrText(f.reductionRatio()).c_str());
      s += buf;
    }
    return s;
  }
  for (const auto& f : flows) {
    if (!filter.matches(f)) {
      continue;
    }
    s += field("Connection Id:", std::to_string(f.connId));
    s += field("Peer Id:", f.peerId.empty() ? "N/A" : f.peerId);
    s += field("Connection Type:", f.coreSide ? "INTERNAL SERVER" : "EXTERNAL CLIENT");
    s += field("Start Time:", timeText(f.startTimeUnix));
    s += field("Source IP Address:", f.client.ip.toString());
    s += field("Source Port Number:", std::to_string(f.client.port));
    s += field("Destination IP Address:", f.server.ip.toString());
    s += field("Destination Port Number:", std::to_string(f.server.port));
    s += field("Application Name:", f.decision.application);
    s += field("Classifier Name:", f.decision.classifier.empty() ? "N/A" : f.decision.classifier);
    s += field("Map Name:", f.decision.mapName);
    s += field("Directed Mode:", "FALSE");
    s += field("Preposition Flow:", "FALSE");
    s += field("State:",
               stateName(f) + (f.state == FlowState::PassThrough
                                   ? " (" + passThroughReasonName(f.passThroughReason) + ")"
                                   : ""));
    if (!f.peerId.empty()) {
      s += field("WAN Secure:", wanSecureText(f));
    }
    s += "Policy Details:\n";
    s += field("    Configured:", codec::policyName(f.policy.configured));
    s += field("    Derived:", codec::policyName(f.policy.derived));
    s += field("    Peer:", codec::policyName(f.policy.peer));
    s += field("    Negotiated:", codec::policyName(f.policy.negotiated));
    s += field("    Applied:", codec::policyName(f.policy.applied));
    s += "Accelerator Details:\n";
    std::string conf = policy::acceleratorDetails(f.decision.accelerator);
    s += field("    Configured:", conf);
    s += field("    Derived:", conf);
    s += field("    Applied:", std::string(codec::acceleratorName(f.acceleratorApplied)));
    s += field("    Hist:", f.handedOffToGeneric ? conf : "None");
    char buf[160];
    std::snprintf(buf, sizeof(buf), "\n%-30s%-16s%s\n", "", "Original", "Optimized");
    s += buf;
    std::snprintf(buf, sizeof(buf), "%-30s%-16llu%llu\n",
                  "Bytes Read:", static_cast<unsigned long long>(f.lanBytesRead),
                  static_cast<unsigned long long>(f.wanBytesRead));
    s += buf;
    std::snprintf(buf, sizeof(buf), "%-30s%-16llu%llu\n\n",
                  "Bytes Written:", static_cast<unsigned long long>(f.lanBytesWritten),
                  static_cast<unsigned long long>(f.wanBytesWritten));
    s += buf;
    if (f.accelerator) {
      // The accelerator's own block (the seed's "MAPI : <id>"); its byte totals are the
      // original (LAN side) bytes.
      s += f.accelerator->detailText(f.connId, f.lanBytesRead, f.lanBytesWritten) + "\n";
    }
  }
  return s;
}

nlohmann::json connectionsJson(const std::vector<FlowInfo>& flows, const ConnectionCounters& c,
                               const ConnectionFilter& filter) {
  nlohmann::json j;
  uint64_t buffered = 0;
  for (const auto& f : flows) {
    buffered += f.bufferedBytes;
  }
  j["counters"] = {{"current_active_optimized_flows", c.optimized},
                   {"current_active_optimized_tcp_plus_flows", c.tcpPlus},
                   {"current_active_optimized_tcp_only_flows", c.tcpOnly},
                   {"current_active_optimized_tcp_preposition_flows", 0},
                   {"current_active_auto_discovery_flows", c.autoDiscovery},
                   {"current_reserved_flows", c.reserved},
                   {"current_active_pass_through_flows", c.passThrough},
                   {"historical_flows", c.historical},
                   {"buffered_bytes", buffered}};  // every flow's Flow::bufferedBytes
  j["connections"] = nlohmann::json::array();
  for (const auto& f : flows) {
    if (!filter.matches(f)) {
      continue;
    }
    nlohmann::json e = {{"conn_id", f.connId},         {"source", f.client.toString()},
                        {"dest", f.server.toString()}, {"peer_id", f.peerId},
                        {"state", stateName(f)},       {"accel", f.accelLetters()},
                        {"rr", f.reductionRatio()},    {"buffered_bytes", f.bufferedBytes}};
    if (filter.detail) {
      e["connection_type"] = f.coreSide ? "INTERNAL SERVER" : "EXTERNAL CLIENT";
      e["start_time"] = f.startTimeUnix;
      e["application"] = f.decision.application;
      e["classifier"] = f.decision.classifier;
      e["map_name"] = f.decision.mapName;
      e["pass_through_reason"] = passThroughReasonName(f.passThroughReason);
      e["wan_secure"] = {{"leg", legSecurityName(f.legSecurity)},
                         {"secured", f.wanSecured},
                         {"off_reason", f.wanSecureOff}};
      e["policy"] = {{"configured", codec::policyName(f.policy.configured)},
                     {"derived", codec::policyName(f.policy.derived)},
                     {"peer", codec::policyName(f.policy.peer)},
                     {"negotiated", codec::policyName(f.policy.negotiated)},
                     {"applied", codec::policyName(f.policy.applied)}};
      e["accelerator"] = {{"configured", policy::acceleratorDetails(f.decision.accelerator)},
                          {"applied", std::string(codec::acceleratorName(f.acceleratorApplied))},
                          {"handed_off_to_generic", f.handedOffToGeneric},
                          {"hand_off_reason", f.handOffReason}};
      e["bytes"] = {{"read_original", f.lanBytesRead},
                    {"read_optimized", f.wanBytesRead},
                    {"written_original", f.lanBytesWritten},
                    {"written_optimized", f.wanBytesWritten}};
      if (f.accelerator) {
        e[f.accelerator->jsonKey()] = f.accelerator->toJson();
      }
    }
    j["connections"].push_back(e);
  }
  return j;
}

}  // namespace bh::proxy
