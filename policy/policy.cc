#include "policy/policy.h"

#include "policy/config_loader.h"

namespace bh::policy {
namespace {

bool clauseHolds(const MatchClause& m, const FlowKey& f) {
  return (!m.srcIp || m.srcIp->contains(f.src)) && (!m.dstIp || m.dstIp->contains(f.dst)) &&
         (!m.srcPort || m.srcPort->contains(f.srcPort)) &&
         (!m.dstPort || m.dstPort->contains(f.dstPort));
}

std::unique_ptr<std::atomic<uint64_t>[]> counters(size_t n) {
  auto out = std::make_unique<std::atomic<uint64_t>[]>(n == 0 ? 1 : n);
  for (size_t i = 0; i < (n == 0 ? 1 : n); ++i) {
    out[i].store(0, std::memory_order_relaxed);
  }
  return out;
}

void bump(std::atomic<uint64_t>& c) {
  c.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

Result<PolicyPtr> Policy::create(Config config, uint64_t generation) {
  ConfigErrors errors;
  validateConfig(config, errors);
  if (!errors.empty()) {
    return Result<PolicyPtr>::failure(std::move(errors));
  }
  return Result<PolicyPtr>::success(PolicyPtr(new Policy(std::move(config), generation)));
}

Policy::Policy(Config config, uint64_t generation)
    : config_(std::move(config)), generation_(generation) {
  size_t clauses = 0;
  for (const auto& c : config_.classifiers) {
    clauseBase_.push_back(clauses);
    clauses += c.clauses.size();
  }
  for (const auto& pc : config_.policyMap.classes) {
    int index = -1;
    for (size_t i = 0; i < config_.classifiers.size() && !pc.classifier.empty(); ++i) {
      if (config_.classifiers[i].name == pc.classifier) {
        index = static_cast<int>(i);
        break;
      }
    }
    classClassifier_.push_back(index);
  }
  classHits_ = counters(config_.policyMap.classes.size());
  clauseHits_ = counters(clauses);
  epmHits_ = counters(config_.epmMaps.size());
}

int Policy::matchClassifier(size_t index, const FlowKey& flow) const {
  const auto& clauses = config_.classifiers[index].clauses;
  FlowKey back = flow.reversed();
  for (size_t i = 0; i < clauses.size(); ++i) {
    if (clauseHolds(clauses[i], flow) ||
        (clauses[i].bothDirections && clauseHolds(clauses[i], back))) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

Decision Policy::classify(const FlowKey& rawFlow, DynamicRules* dynamic) const {
  // Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d; classify what was really used.
  FlowKey flow{rawFlow.src.unmapped(), rawFlow.dst.unmapped(), rawFlow.srcPort, rawFlow.dstPort};
  Decision d;
  d.policyGeneration = generation_;
  d.mapName = config_.policyMap.name;
  bump(total_);
  if (dynamic != nullptr) {
    if (const DynamicRule* rule = dynamic->lookup(flow.src, flow.dst, flow.dstPort)) {
      d.application = rule->application;
      d.classifier = kMapDefaultClassifier;
      d.mapName = rule->mapName;
      d.action = rule->action;
      d.accelerator = rule->accelerator;
      d.dynamicKey = rule->key;
      for (size_t i = 0; i < config_.epmMaps.size(); ++i) {
        if (epmMapName(config_.epmMaps[i].uuid) == rule->mapName) {
          d.className = config_.epmMaps[i].name;
          bump(epmHits_[i]);
          break;
        }
      }
      return d;
    }
  }
  const auto& classes = config_.policyMap.classes;
  for (size_t i = 0; i < classes.size(); ++i) {
    int classifier = classClassifier_[i];
    if (classifier >= 0) {
      int clause = matchClassifier(static_cast<size_t>(classifier), flow);
      if (clause < 0) {
        continue;
      }
      bump(clauseHits_[clauseBase_[static_cast<size_t>(classifier)] + static_cast<size_t>(clause)]);
    }
    bump(classHits_[i]);
    d.application = classes[i].application;
    d.classifier = classes[i].classifier.empty() ? classes[i].name : classes[i].classifier;
    d.className = classes[i].name;
    d.action = classes[i].action;
    d.accelerator = classes[i].accelerate;
    return d;
  }
  return d;
}

std::optional<DynamicRule> Policy::epmRule(const std::string& uuid, const IpAddress& dst,
                                           uint16_t dstPort) const {
  if (!config_.epm.enabled) {
    return std::nullopt;
  }
  for (const auto& m : config_.epmMaps) {
    if (m.uuid == uuid) {
      DynamicRule r;
      r.key = {std::nullopt, dst.unmapped(), dstPort};
      r.application = m.application;
      r.action = m.action;
      r.accelerator = m.accelerate;
      r.userId = "EPM";
      r.mapName = epmMapName(m.uuid);
      r.lifetime = std::chrono::seconds(config_.epm.ruleLifetimeSeconds);
      return r;
    }
  }
  return std::nullopt;
}

uint64_t Policy::classMatches(size_t classIndex) const {
  if (classIndex >= config_.policyMap.classes.size()) {
    return 0;
  }
  return classHits_[classIndex].load(std::memory_order_relaxed);
}

uint64_t Policy::clauseMatches(size_t classifierIndex, size_t clauseIndex) const {
  if (classifierIndex >= config_.classifiers.size() ||
      clauseIndex >= config_.classifiers[classifierIndex].clauses.size()) {
    return 0;
  }
  return clauseHits_[clauseBase_[classifierIndex] + clauseIndex].load(std::memory_order_relaxed);
}

uint64_t Policy::epmMapMatches(size_t epmMapIndex) const {
  if (epmMapIndex >= config_.epmMaps.size()) {
    return 0;
  }
  return epmHits_[epmMapIndex].load(std::memory_order_relaxed);
}

}  // namespace bh::policy
