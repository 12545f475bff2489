#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "policy/action.h"
#include "policy/config.h"
#include "policy/dynamic_rules.h"
#include "policy/flow_key.h"
#include "policy/result.h"

namespace bh::policy {

/// The seed's classifier name for a flow matched by a dynamic rule.
inline constexpr const char* kMapDefaultClassifier = "**Map Default**";

/// What the policy engine decided for one flow. Self-contained (copies, no references into the
/// Policy), so a flow keeps it unchanged across reloads.
struct Decision {
  std::string application = "Other";
  std::string classifier;  ///< "" when nothing matched
  std::string className;   ///< class of the policy map, or EPM map name for dynamic rules
  std::string mapName;     ///< policy map name, or "uuid<...>" for dynamic rules
  Action action = Action::PassThrough;
  Accelerator accelerator = Accelerator::None;
  /// Set when a dynamic rule decided; the flow must report flowEnded(*dynamicKey) when done.
  std::optional<DynamicRuleKey> dynamicKey;
  uint64_t policyGeneration = 0;

  bool matched() const { return !classifier.empty(); }
  bool operator==(const Decision&) const = default;
};

class Policy;
using PolicyPtr = std::shared_ptr<const Policy>;

/// A validated configuration ready to classify flows. Immutable once built and shared between
/// flows; a reload builds a new one and swaps the pointer. Only the flow-match counters change,
/// and they are atomics.
class Policy {
 public:
  /// Validates `config` (validateConfig) and builds the policy.
  /// @param generation reload counter stamped into every Decision.
  static Result<PolicyPtr> create(Config config, uint64_t generation = 0);

  /// First match in class order wins; when `dynamic` is given its rules are consulted first.
  /// A flow that no class matches is passed through as application "Other".
  Decision classify(const FlowKey& flow, DynamicRules* dynamic = nullptr) const;

  /// The rule an accelerator should add after the endpoint mapper handed out `dst:port` for
  /// interface `uuid`; nullopt when no EPM map covers that interface (or EPM is disabled).
  std::optional<DynamicRule> epmRule(const std::string& uuid, const IpAddress& dst,
                                     uint16_t dstPort) const;

  const Config& config() const { return config_; }
  uint64_t generation() const { return generation_; }
  /// Flows each class matched ("Class MAPI (12 flow-matches)"), in class order.
  uint64_t classMatches(size_t classIndex) const;
  /// Flows each clause of a classifier matched, in classifier and clause order.
  uint64_t clauseMatches(size_t classifierIndex, size_t clauseIndex) const;
  /// Flows classified by dynamic rules, per EPM map in config order (by map name).
  uint64_t epmMapMatches(size_t epmMapIndex) const;
  /// Flows classified at all ("WAAS-GLOBAL (6084690 total)").
  uint64_t totalMatches() const { return total_.load(std::memory_order_relaxed); }

 private:
  Policy(Config config, uint64_t generation);
  /// Index of the first matching clause of classifier `index`, or -1.
  int matchClassifier(size_t index, const FlowKey& flow) const;

  Config config_;
  uint64_t generation_;
  std::vector<int> classClassifier_;  ///< class -> classifier index, -1 = match all
  std::vector<size_t> clauseBase_;    ///< classifier -> first slot in clauseHits_
  mutable std::unique_ptr<std::atomic<uint64_t>[]> classHits_;
  mutable std::unique_ptr<std::atomic<uint64_t>[]> clauseHits_;
  mutable std::unique_ptr<std::atomic<uint64_t>[]> epmHits_;
  mutable std::atomic<uint64_t> total_{0};
};

}  // namespace bh::policy
