#include "policy/dynamic_rules.h"

#include <algorithm>

namespace bh::policy {

std::optional<MonoTime> DynamicRule::expiry() const {
  if (flows > 0) {
    return std::nullopt;
  }
  return lastActive + lifetime;
}

DynamicRules::DynamicRules(ClockFn clock, size_t capacity)
    : clock_(std::move(clock)), capacity_(std::max<size_t>(1, capacity)) {}

bool DynamicRules::expired(const DynamicRule& r, MonoTime now) const {
  auto e = r.expiry();
  return e.has_value() && now >= *e;
}

const DynamicRule& DynamicRules::add(DynamicRule rule) {
  MonoTime now = clock_();
  auto it = rules_.find(rule.key);
  if (it != rules_.end()) {
    DynamicRule& r = it->second;
    r.application = std::move(rule.application);
    r.action = rule.action;
    r.accelerator = rule.accelerator;
    r.userId = std::move(rule.userId);
    r.mapName = std::move(rule.mapName);
    r.lifetime = rule.lifetime;
    r.lastActive = now;
    return r;
  }
  if (rules_.size() >= capacity_) {
    // Expired rules go first; only a table full of live rules costs a live one.
    expire();
    if (rules_.size() >= capacity_) {
      evictOne();
    }
  }
  rule.flows = 0;
  rule.hits = 0;
  rule.created = now;
  rule.lastActive = now;
  rule.number = ++allocations_;
  auto [pos, inserted] = rules_.emplace(rule.key, std::move(rule));
  maxInUse_ = std::max(maxInUse_, rules_.size());
  return pos->second;
}

void DynamicRules::evictOne() {
  // Oldest first, preferring rules no flow depends on.
  auto victim = rules_.end();
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (victim == rules_.end()) {
      victim = it;
      continue;
    }
    bool itIdle = it->second.flows == 0;
    bool victimIdle = victim->second.flows == 0;
    if ((itIdle && !victimIdle) ||
        (itIdle == victimIdle && it->second.number < victim->second.number)) {
      victim = it;
    }
  }
  if (victim != rules_.end()) {
    rules_.erase(victim);
    ++evictions_;
  }
}

bool DynamicRules::refresh(const DynamicRuleKey& key) {
  auto it = rules_.find(key);
  if (it == rules_.end()) {
    return false;
  }
  it->second.lastActive = clock_();
  return true;
}

const DynamicRule* DynamicRules::lookup(const IpAddress& src, const IpAddress& dst,
                                        uint16_t dstPort) {
  MonoTime now = clock_();
  for (const DynamicRuleKey& key :
       {DynamicRuleKey{src, dst, dstPort}, DynamicRuleKey{std::nullopt, dst, dstPort}}) {
    auto it = rules_.find(key);
    if (it != rules_.end() && !expired(it->second, now)) {
      ++it->second.hits;
      return &it->second;
    }
  }
  return nullptr;
}

const DynamicRule* DynamicRules::find(const DynamicRuleKey& key) const {
  auto it = rules_.find(key);
  return it == rules_.end() ? nullptr : &it->second;
}

bool DynamicRules::flowStarted(const DynamicRuleKey& key) {
  auto it = rules_.find(key);
  if (it == rules_.end()) {
    return false;
  }
  ++it->second.flows;
  return true;
}

bool DynamicRules::flowEnded(const DynamicRuleKey& key) {
  auto it = rules_.find(key);
  if (it == rules_.end()) {
    return false;
  }
  if (it->second.flows > 0) {
    --it->second.flows;
  }
  // The idle lifetime starts when the last flow goes.
  it->second.lastActive = clock_();
  return true;
}

bool DynamicRules::remove(const DynamicRuleKey& key) {
  return rules_.erase(key) > 0;
}

size_t DynamicRules::expire() {
  MonoTime now = clock_();
  return std::erase_if(rules_, [&](const auto& kv) { return expired(kv.second, now); });
}

std::vector<const DynamicRule*> DynamicRules::rules() const {
  std::vector<const DynamicRule*> out;
  out.reserve(rules_.size());
  for (const auto& [key, rule] : rules_) {
    out.push_back(&rule);
  }
  std::sort(out.begin(), out.end(),
            [](const DynamicRule* a, const DynamicRule* b) { return a->number < b->number; });
  return out;
}

std::string epmMapName(const std::string& uuid) {
  return "uuid" + uuid;
}

}  // namespace bh::policy
