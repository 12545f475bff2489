#include "policy/show_policy_map.h"

#include <cctype>

namespace bh::policy {
namespace {

using nlohmann::json;

std::string flowMatches(uint64_t n) {
  return " (" + std::to_string(n) + " flow-matches)";
}

std::string ipText(const IpPrefix& p) {
  return p.isHost() ? "host " + p.network().toString() : "ip " + p.toWildcardString();
}

std::string tcpMatch(const MatchClause& m) {
  std::string out = "Match tcp";
  if (m.srcIp || m.srcPort) {
    out += " source";
    if (m.srcIp) {
      out += " " + ipText(*m.srcIp);
    }
    if (m.srcPort) {
      out += m.srcPort->low == m.srcPort->high ? " port " + std::to_string(m.srcPort->low)
                                               : " port " + m.srcPort->toString();
    }
  }
  if (m.dstIp || m.dstPort) {
    out += " destination";
    if (m.dstIp) {
      out += " " + ipText(*m.dstIp);
    }
    if (m.dstPort) {
      out += m.dstPort->low == m.dstPort->high ? " port " + std::to_string(m.dstPort->low)
                                               : " port " + m.dstPort->toString();
    }
  }
  if (m.bothDirections) {
    out += " both-directions";
  }
  return out;
}

std::string classAction(Action action, Accelerator accelerate, const std::string& app) {
  std::string out = actionWaasText(action);
  if (accelerate != Accelerator::None) {
    out += " accelerate " + acceleratorWaasName(accelerate);
  }
  return out + " application " + app;
}

}  // namespace

std::string epmClassName(const EpmMap& map) {
  std::string out = map.name;
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string showClassMap(const Policy& policy) {
  const Config& c = policy.config();
  std::string o;
  for (size_t i = 0; i < c.epmMaps.size(); ++i) {
    o += "Class-map type waas match-any " + epmClassName(c.epmMaps[i]) + "\n";
    o += "Match tcp destination epm " + c.epmMaps[i].name + flowMatches(policy.epmMapMatches(i)) +
         "\n";
  }
  for (size_t i = 0; i < c.classifiers.size(); ++i) {
    const Classifier& cl = c.classifiers[i];
    o += "Class-map type waas match-any " + cl.name + "\n";
    for (size_t k = 0; k < cl.clauses.size(); ++k) {
      o += tcpMatch(cl.clauses[k]) + flowMatches(policy.clauseMatches(i, k)) + "\n";
    }
  }
  return o;
}

json classMapJson(const Policy& policy) {
  const Config& c = policy.config();
  json out = json::array();
  for (size_t i = 0; i < c.epmMaps.size(); ++i) {
    out.push_back({{"name", epmClassName(c.epmMaps[i])},
                   {"matches", json::array({{{"epm", c.epmMaps[i].name},
                                             {"uuid", c.epmMaps[i].uuid},
                                             {"flow_matches", policy.epmMapMatches(i)}}})}});
  }
  for (size_t i = 0; i < c.classifiers.size(); ++i) {
    const Classifier& cl = c.classifiers[i];
    json matches = json::array();
    for (size_t k = 0; k < cl.clauses.size(); ++k) {
      matches.push_back(
          {{"match", tcpMatch(cl.clauses[k])}, {"flow_matches", policy.clauseMatches(i, k)}});
    }
    out.push_back({{"name", cl.name}, {"matches", matches}});
  }
  return out;
}

std::string showPolicyMap(const Policy& policy) {
  const Config& c = policy.config();
  std::string o = "Policy-map type waas " + c.policyMap.name + " (" +
                  std::to_string(policy.totalMatches()) + " total)\n";
  for (size_t i = 0; i < c.epmMaps.size(); ++i) {
    const EpmMap& m = c.epmMaps[i];
    o += "Class " + epmClassName(m) + flowMatches(policy.epmMapMatches(i)) + "\n";
    o += classAction(m.action, m.accelerate, m.application) + "\n";
  }
  for (size_t i = 0; i < c.policyMap.classes.size(); ++i) {
    const PolicyClass& pc = c.policyMap.classes[i];
    o += "Class " + pc.name + flowMatches(policy.classMatches(i)) + "\n";
    o += classAction(pc.action, pc.accelerate, pc.application) + "\n";
  }
  return o;
}

json policyMapJson(const Policy& policy) {
  const Config& c = policy.config();
  json classes = json::array();
  for (size_t i = 0; i < c.epmMaps.size(); ++i) {
    const EpmMap& m = c.epmMaps[i];
    classes.push_back({{"name", epmClassName(m)},
                       {"epm_map", m.name},
                       {"application", m.application},
                       {"action", actionName(m.action)},
                       {"accelerate", acceleratorName(m.accelerate)},
                       {"flow_matches", policy.epmMapMatches(i)}});
  }
  for (size_t i = 0; i < c.policyMap.classes.size(); ++i) {
    const PolicyClass& pc = c.policyMap.classes[i];
    classes.push_back({{"name", pc.name},
                       {"classifier", pc.classifier},
                       {"application", pc.application},
                       {"action", actionName(pc.action)},
                       {"accelerate", acceleratorName(pc.accelerate)},
                       {"flow_matches", policy.classMatches(i)}});
  }
  return {{"name", c.policyMap.name},
          {"total", policy.totalMatches()},
          {"generation", policy.generation()},
          {"classes", classes}};
}

}  // namespace bh::policy
