#pragma once

// The box's memory budget (docs/ARCHITECTURE.md, "the memory budget"). Per-flow caps exist in
// every part (relay buffers, the MAPI AO's read-ahead and write windows, the DCE/RPC stream
// engine), but they do not add up: a few thousand flows each within its caps can claim more
// memory than the box has. So every flow's buffered bytes are charged to one budget:
//  - above the high watermark new flows are not optimized (they pass through, as the seed's
//    "overload" does for new connections) until use falls below the low watermark (hysteresis,
//    so admission does not flap on every sample);
//  - above the budget itself the largest holders are reset (both ends, peer reason Overload),
//    largest first, until use is back under the high watermark: the box resets a few flows
//    rather than being killed by the OOM killer with all of them.
// Pure: it is given samples and asked for decisions; the flow manager samples the flow table
// on a timer and carries the decisions out.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "policy/config.h"

namespace bh::proxy {

struct MemoryBudgetLimits {
  /// The budget in bytes (0: no budget - nothing is refused or reset).
  uint64_t budgetBytes = 0;
  /// New flows are not optimized at or above this share of the budget.
  uint32_t highWatermarkPercent = 80;
  /// ... until use falls below this share again.
  uint32_t lowWatermarkPercent = 70;
};

class MemoryBudget {
 public:
  /// One flow's buffered bytes at the sample.
  struct FlowUsage {
    uint64_t connId = 0;
    size_t bufferedBytes = 0;
  };
  enum class State { Normal, Pressure };
  struct Counters {
    uint64_t inUseBytes = 0;        ///< at the last sample
    uint64_t peakBytes = 0;         ///< highest sample since start
    uint64_t refusedFlows = 0;      ///< new flows not optimized because of the watermark
    uint64_t resetFlows = 0;        ///< flows reset because use passed the budget
    uint64_t pressureEpisodes = 0;  ///< times the high watermark was crossed
  };

  explicit MemoryBudget(MemoryBudgetLimits limits = {}) : limits_(limits) {}

  /// A reload's new limits; the next sample decides the state under them.
  void setLimits(MemoryBudgetLimits limits) { limits_ = limits; }
  const MemoryBudgetLimits& limits() const { return limits_; }

  /// Asked when a new flow would be optimized: false (counted) while under pressure.
  bool admitOptimized();

  /// A sample of every flow. Returns the flows to reset, largest first, when use is above the
  /// budget: enough of them to bring use under the high watermark.
  std::vector<uint64_t> sample(const std::vector<FlowUsage>& flows);

  State state() const { return state_; }
  const Counters& counters() const { return counters_; }
  uint64_t highWatermarkBytes() const {
    return limits_.budgetBytes * limits_.highWatermarkPercent / 100;
  }
  uint64_t lowWatermarkBytes() const {
    return limits_.budgetBytes * limits_.lowWatermarkPercent / 100;
  }

 private:
  MemoryBudgetLimits limits_;
  State state_ = State::Normal;
  Counters counters_;
};

const char* memoryBudgetStateName(MemoryBudget::State state);

/// The budget limits.* asks for: memory_budget_mb, or a quarter of `machineBytes` when it is 0.
MemoryBudgetLimits memoryBudgetLimitsOf(const policy::Limits& limits, uint64_t machineBytes);

/// The machine's physical memory (sysconf), 0 when unknown.
uint64_t machineMemoryBytes();

}  // namespace bh::proxy
