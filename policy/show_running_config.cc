#include "policy/show_running_config.h"

#include <cstdio>

#include "policy/encryption_service_config.h"

namespace bh::policy {
namespace {

using nlohmann::json;

std::string onOff(bool v) {
  return v ? "enable" : "disable";
}

std::string seconds(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

std::string hex16(uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%04x", v);
  return buf;
}

std::string actionTail(Action action, Accelerator accelerate) {
  std::string out = actionWaasText(action);
  if (accelerate != Accelerator::None) {
    out += " accelerate " + acceleratorWaasName(accelerate);
  }
  return out;
}

json clauseJson(const MatchClause& m) {
  json j = json::object();
  if (m.srcIp) {
    j["src_ip"] = m.srcIp->toString();
  }
  if (m.dstIp) {
    j["dst_ip"] = m.dstIp->toString();
  }
  if (m.srcPort) {
    j["src_port"] = m.srcPort->toString();
  }
  if (m.dstPort) {
    j["dst_port"] = m.dstPort->toString();
  }
  if (m.bothDirections) {
    j["both_directions"] = true;
  }
  return j;
}

}  // namespace

std::string matchLine(const MatchClause& m) {
  std::string out = "match";
  auto ip = [&out](const char* side, const IpPrefix& p) {
    out += std::string(" ") + side +
           (p.isHost() ? " host " + p.network().toString() : " ip " + p.toWildcardString());
  };
  if (m.srcIp) {
    ip("src", *m.srcIp);
  }
  if (m.srcPort) {
    out += " src port " + m.srcPort->toString();
  }
  if (m.dstIp) {
    ip("dst", *m.dstIp);
  }
  if (m.dstPort) {
    out += " dst port " + m.dstPort->toString();
  }
  if (m.bothDirections) {
    out += " both-directions";
  }
  return out;
}

std::string showRunningConfig(const Config& c) {
  std::string o;
  auto line = [&o](const std::string& s) {
    o += s;
    o += '\n';
  };
  line("hostname " + c.device.hostname);
  if (!c.device.id.empty()) {
    line("device id " + c.device.id);
  }
  line("device mode " + roleName(c.device.role));
  line("interception " + interceptionModeName(c.interception.mode));
  for (const auto& i : c.interception.lanInterfaces) {
    line("interception lan-interface " + i);
  }
  if (const auto& w = c.interception.wccp) {
    // In the words of the WAAS CLI (`wccp router-list`, `wccp tcp-promiscuous`).
    std::string routers;
    for (const auto& a : w->routers) {
      routers += " " + a.toString();
    }
    line("wccp router-list" + routers);
    for (const auto& s : w->services) {
      line("wccp service " + std::to_string(s.id) + (s.standard ? " standard" : " dynamic") +
           " priority " + std::to_string(s.priority) + " protocol " + std::to_string(s.protocol) +
           " flags " + hex16(static_cast<uint16_t>(s.flags)));
    }
    line("wccp " + std::string(w->password.empty() ? "no password" : "password ****"));
    line("wccp redirect-method " + wccpMethodName(w->forwarding) + " egress-method " +
         wccpMethodName(w->returns) + " assignment-method " + wccpAssignmentName(w->assignment) +
         " weight " + std::to_string(w->weight));
    line("wccp version 2");
  }
  if (c.peering.optionKind == PeeringConfig::kWaasKind) {
    line("peering tcp-option 0x21");
  } else {
    line("peering tcp-option " + std::to_string(c.peering.optionKind) + " exid " +
         hex16(c.peering.optionExid));
  }
  line("peering listen-port " + std::to_string(c.peering.listenPort));
  line("peering congestion-control " + c.peering.congestionControl);
  if (c.peering.wanBandwidthKbit != 0) {
    line("peering wan-bandwidth " + std::to_string(c.peering.wanBandwidthKbit));
  }
  if (c.peering.initialWindowSegments != 0) {
    line("peering initial-window " + std::to_string(c.peering.initialWindowSegments) +
         " route-table " + std::to_string(c.peering.routeTable));
  }
  line("!");
  line(std::string(c.mapi.enabled ? "" : "no ") + "accelerator mapi enable");
  line("accelerator mapi read-optimization " + onOff(c.mapi.readOptimization));
  line("accelerator mapi write-optimization " + onOff(c.mapi.writeOptimization));
  line("accelerator mapi read-ahead-window " + std::to_string(c.mapi.readAheadBytes));
  line("accelerator mapi keepalive " + seconds(c.mapi.keepaliveSeconds));
  line("accelerator mapi max-connections " + std::to_string(c.mapi.maxConnections));
  line(std::string(c.epm.enabled ? "" : "no ") + "accelerator epm enable");
  line("accelerator epm rule-lifetime " + std::to_string(c.epm.ruleLifetimeSeconds));
  line("accelerator epm max-dynamic-rules " + std::to_string(c.epm.maxDynamicRules));
  line("!");
  line("connection-limit " + std::to_string(c.limits.connectionLimit) + " effective " +
       std::to_string(c.limits.effectiveLimit));
  line("connection-limit mapi-reserved " + std::to_string(c.limits.reservedMapiConnections) +
       " per-group " + std::to_string(c.limits.mapiReservePerGroup));
  line("memory-budget " +
       (c.limits.memoryBudgetMb == 0 ? std::string("auto")
                                     : std::to_string(c.limits.memoryBudgetMb) + " MB") +
       " high-watermark " + std::to_string(c.limits.memoryHighWatermarkPercent) +
       "% low-watermark " + std::to_string(c.limits.memoryLowWatermarkPercent) + "%");
  line("dre cache-size " + std::to_string(c.dre.cacheSizeMb));
  line("lz level " + std::to_string(c.lz.level));
  line(std::string(c.transactionLog.enabled ? "" : "no ") + "transaction-logs flow enable");
  line("!");
  line("policy-engine application");
  for (const auto& app : c.applications) {
    line("name " + app);
  }
  for (const auto& cl : c.classifiers) {
    line("classifier " + cl.name);
    for (const auto& m : cl.clauses) {
      line(matchLine(m));
    }
    line("exit");
  }
  const PolicyClass* other = nullptr;
  bool basicOpen = false;
  for (const auto& pc : c.policyMap.classes) {
    if (pc.classifier.empty()) {
      other = &pc;
      continue;
    }
    if (!basicOpen) {
      line("map basic");
      basicOpen = true;
    }
    line("name " + pc.application + " classifier " + pc.classifier + " action " +
         actionTail(pc.action, pc.accelerate));
  }
  if (basicOpen) {
    line("exit");
  }
  for (const auto& m : c.epmMaps) {
    line("map adaptor EPM " + m.name);
    line("name " + m.application + " All action " + actionTail(m.action, m.accelerate));
    line("exit");
  }
  if (other != nullptr) {
    line("map other " + actionTail(other->action, other->accelerate));
  }
  line("exit");
  return o;
}

json configToJson(const Config& c) {
  json j;
  j["version"] = 1;
  j["device"] = {
      {"id", c.device.id}, {"role", roleName(c.device.role)}, {"hostname", c.device.hostname}};
  j["interception"] = {{"mode", interceptionModeName(c.interception.mode)},
                       {"lan_interfaces", c.interception.lanInterfaces},
                       {"nfqueue", c.interception.nfqueue}};
  if (const auto& w = c.interception.wccp) {
    json routers = json::array();
    for (const auto& a : w->routers) {
      routers.push_back(a.toString());
    }
    json services = json::array();
    for (const auto& s : w->services) {
      services.push_back({{"id", s.id},
                          {"type", s.standard ? "standard" : "dynamic"},
                          {"priority", s.priority},
                          {"protocol", s.protocol},
                          {"flags", s.flags},
                          {"ports", s.ports}});
    }
    j["interception"]["wccp"] = {{"routers", routers},
                                 {"services", services},
                                 {"password_set", !w->password.empty()},
                                 {"forwarding", wccpMethodName(w->forwarding)},
                                 {"return", wccpMethodName(w->returns)},
                                 {"assignment", wccpAssignmentName(w->assignment)},
                                 {"weight", w->weight}};
  }
  j["peering"] = {{"tcp_option_kind", c.peering.optionKind},
                  {"listen_port", c.peering.listenPort},
                  {"initial_window_segments", c.peering.initialWindowSegments},
                  {"route_table", c.peering.routeTable},
                  {"congestion_control", c.peering.congestionControl},
                  {"wan_bandwidth_kbit", c.peering.wanBandwidthKbit}};
  if (c.peering.optionKind != PeeringConfig::kWaasKind) {
    j["peering"]["tcp_option_exid"] = c.peering.optionExid;
  }
  j["applications"] = c.applications;
  j["classifiers"] = json::array();
  for (const auto& cl : c.classifiers) {
    if (cl.inlineFromClass) {
      continue;
    }
    json match = json::array();
    for (const auto& m : cl.clauses) {
      match.push_back(clauseJson(m));
    }
    j["classifiers"].push_back({{"name", cl.name}, {"match", match}});
  }
  json classes = json::array();
  for (const auto& pc : c.policyMap.classes) {
    json k = {{"name", pc.name},
              {"application", pc.application},
              {"action", actionName(pc.action)},
              {"accelerate", acceleratorName(pc.accelerate)}};
    const Classifier* cl = c.findClassifier(pc.classifier);
    if (cl != nullptr && cl->inlineFromClass) {
      json match = json::array();
      for (const auto& m : cl->clauses) {
        match.push_back(clauseJson(m));
      }
      k["match"] = match;
    } else if (!pc.classifier.empty()) {
      k["classifier"] = pc.classifier;
    }
    classes.push_back(k);
  }
  j["policy"] = {{"name", c.policyMap.name}, {"classes", classes}};
  j["epm_maps"] = json::array();
  for (const auto& m : c.epmMaps) {
    j["epm_maps"].push_back({{"name", m.name},
                             {"uuid", m.uuid},
                             {"application", m.application},
                             {"action", actionName(m.action)},
                             {"accelerate", acceleratorName(m.accelerate)}});
  }
  j["accelerators"] = {{"mapi",
                        {{"enabled", c.mapi.enabled},
                         {"read_optimization", c.mapi.readOptimization},
                         {"write_optimization", c.mapi.writeOptimization},
                         {"read_ahead_bytes", c.mapi.readAheadBytes},
                         {"keepalive_seconds", c.mapi.keepaliveSeconds},
                         {"max_connections", c.mapi.maxConnections}}},
                       {"epm",
                        {{"enabled", c.epm.enabled},
                         {"rule_lifetime_seconds", c.epm.ruleLifetimeSeconds},
                         {"max_dynamic_rules", c.epm.maxDynamicRules}}}};
  j["limits"] = {{"connection_limit", c.limits.connectionLimit},
                 {"effective_limit", c.limits.effectiveLimit},
                 {"reserved_mapi_connections", c.limits.reservedMapiConnections},
                 {"mapi_reserve_per_group", c.limits.mapiReservePerGroup},
                 {"memory_budget_mb", c.limits.memoryBudgetMb},
                 {"memory_high_watermark_percent", c.limits.memoryHighWatermarkPercent},
                 {"memory_low_watermark_percent", c.limits.memoryLowWatermarkPercent}};
  j["dre"] = {{"cache_size_mb", c.dre.cacheSizeMb}};
  j["lz"] = {{"level", c.lz.level}};
  j["transaction_log"] = {{"enabled", c.transactionLog.enabled}};
  const WanSecureConfig& w = c.wanSecure;
  json ws = {{"ca_bundle", w.caBundle},
             {"peer_cert_verify", w.peerCertVerify},
             {"ocsp",
              {{"enabled", w.ocsp.enabled},
               {"url", w.ocsp.url},
               {"timeout_ms", w.ocsp.timeoutMs},
               {"unreachable",
                w.ocsp.unreachable == OcspUnreachable::FailOpen ? "fail_open" : "fail_closed"}}},
             {"min_version", w.minVersion},
             {"ciphers", w.ciphers},
             {"store",
              {{"path", w.store.path},
               {"key_credential", w.store.credential},
               {"key_file", w.store.keyFile}}},
             {"mode",
              {{"mapi", wanSecureModeName(w.mapiMode)},
               {"epm", wanSecureModeName(w.epmMode)},
               {"generic", wanSecureModeName(w.genericMode)}}}};
  if (!w.certificate.empty()) {
    ws["identity"] = {
        {"certificate", w.certificate}, {"private_key", w.privateKey}, {"chain", w.chain}};
  }
  j["wan_secure"] = ws;
  j["encryption_service"] = encryptionServiceRunningConfig(c.encryptionService);
  j["metrics"] = {{"listen", c.metrics.listen}};
  return j;
}

}  // namespace bh::policy
