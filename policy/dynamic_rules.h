#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "policy/action.h"

namespace bh::policy {

using MonoClock = std::chrono::steady_clock;
using MonoTime = MonoClock::time_point;
/// Injected so tests (and the single event loop) control time.
using ClockFn = std::function<MonoTime()>;

/// Where a dynamic rule applies: a server endpoint, optionally for one client only. EPM rules
/// cover every client of a server port (WAAS type Any->Host); MAPI rules are per client
/// (Host->Host), as the seed's "a separate entry with User ID: MAPI" for each client.
struct DynamicRuleKey {
  std::optional<IpAddress> src;
  IpAddress dst;
  uint16_t dstPort = 0;

  auto operator<=>(const DynamicRuleKey&) const = default;
};

/// One learned rule, as `show policy-engine application dynamic` prints it.
struct DynamicRule {
  DynamicRuleKey key;
  std::string application;
  Action action = Action::OptimizeFull;
  Accelerator accelerator = Accelerator::None;
  std::string userId;   ///< who learned it: "EPM" or "MAPI"
  std::string mapName;  ///< e.g. "uuida4f1db00-ca47-1067-b31f-00dd010662da"
  std::chrono::seconds lifetime{1200};

  // Maintained by the table.
  uint32_t flows = 0;  ///< active connections classified by this rule
  uint64_t hits = 0;   ///< lookups that matched
  MonoTime created{};
  MonoTime lastActive{};  ///< last refresh or last flow end; expiry counts from here
  uint64_t number = 0;    ///< allocation order, stable while the rule lives

  /// A rule with active flows never expires (WAAS FLOW_CNT); otherwise lastActive + lifetime.
  std::optional<MonoTime> expiry() const;
};

/// Rules the EPM and MAPI accelerators learn at run time, consulted before the static policy
/// map (WAAS "Map Default"). Survives policy reloads. Bounded: when full, adding evicts the
/// oldest idle rule, else the oldest. Not thread-safe: owned by one event loop.
class DynamicRules {
 public:
  /// @param clock monotonic time source.
  /// @param capacity maximum number of rules held (at least 1).
  DynamicRules(ClockFn clock, size_t capacity);

  /// Adds a rule, or refreshes the rule already at its key (WAAS REPLACE: new application,
  /// map and lifetime; flows, hits and number kept).
  /// @return the stored rule.
  const DynamicRule& add(DynamicRule rule);
  /// Restarts the lifetime of the rule at `key`. @return false if there is none.
  bool refresh(const DynamicRuleKey& key);
  /// The rule for a new flow: the client's own (Host->Host) before the server's (Any->Host).
  /// Counts a hit. Expired rules do not match.
  const DynamicRule* lookup(const IpAddress& src, const IpAddress& dst, uint16_t dstPort);
  /// The rule at exactly `key`, without counting.
  const DynamicRule* find(const DynamicRuleKey& key) const;
  /// A flow classified by the rule at `key` started / ended. @return false if the rule is gone.
  bool flowStarted(const DynamicRuleKey& key);
  bool flowEnded(const DynamicRuleKey& key);
  bool remove(const DynamicRuleKey& key);
  /// Drops every expired rule. @return how many.
  size_t expire();

  /// Rules in allocation order.
  std::vector<const DynamicRule*> rules() const;
  size_t size() const { return rules_.size(); }
  size_t capacity() const { return capacity_; }
  size_t maxInUse() const { return maxInUse_; }
  uint64_t allocations() const { return allocations_; }
  uint64_t evictions() const { return evictions_; }
  MonoTime now() const { return clock_(); }

 private:
  bool expired(const DynamicRule& r, MonoTime now) const;
  void evictOne();

  ClockFn clock_;
  size_t capacity_;
  std::map<DynamicRuleKey, DynamicRule> rules_;
  size_t maxInUse_ = 0;
  uint64_t allocations_ = 0;
  uint64_t evictions_ = 0;
};

/// "uuid" + the interface UUID: the map name WAAS gives an EPM-learned rule.
std::string epmMapName(const std::string& uuid);

}  // namespace bh::policy
