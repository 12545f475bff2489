#include "proxy/memory_budget.h"

#include <unistd.h>

#include <algorithm>

namespace bh::proxy {

bool MemoryBudget::admitOptimized() {
  if (state_ == State::Pressure) {
    ++counters_.refusedFlows;
    return false;
  }
  return true;
}

std::vector<uint64_t> MemoryBudget::sample(const std::vector<FlowUsage>& flows) {
  uint64_t inUse = 0;
  for (const auto& f : flows) {
    inUse += f.bufferedBytes;
  }
  counters_.inUseBytes = inUse;
  counters_.peakBytes = std::max(counters_.peakBytes, inUse);
  if (limits_.budgetBytes == 0) {
    state_ = State::Normal;
    return {};
  }
  // Hysteresis: pressure starts at the high watermark and ends below the low one.
  if (state_ == State::Normal && inUse >= highWatermarkBytes()) {
    state_ = State::Pressure;
    ++counters_.pressureEpisodes;
  } else if (state_ == State::Pressure && inUse < lowWatermarkBytes()) {
    state_ = State::Normal;
  }
  std::vector<uint64_t> reset;
  if (inUse <= limits_.budgetBytes) {
    return reset;
  }
  // Over the budget: the largest holders go first, until the rest fits under the high
  // watermark (the fewest flows reset for the most memory back).
  std::vector<FlowUsage> byBytes(flows);
  std::sort(byBytes.begin(), byBytes.end(), [](const FlowUsage& a, const FlowUsage& b) {
    return a.bufferedBytes != b.bufferedBytes ? a.bufferedBytes > b.bufferedBytes
                                              : a.connId < b.connId;
  });
  for (const auto& f : byBytes) {
    if (inUse < highWatermarkBytes() || f.bufferedBytes == 0) {
      break;
    }
    reset.push_back(f.connId);
    inUse -= f.bufferedBytes;
  }
  counters_.resetFlows += reset.size();
  return reset;
}

const char* memoryBudgetStateName(MemoryBudget::State state) {
  return state == MemoryBudget::State::Pressure ? "pressure" : "normal";
}

MemoryBudgetLimits memoryBudgetLimitsOf(const policy::Limits& limits, uint64_t machineBytes) {
  MemoryBudgetLimits m;
  m.budgetBytes =
      limits.memoryBudgetMb != 0 ? uint64_t{limits.memoryBudgetMb} << 20 : machineBytes / 4;
  m.highWatermarkPercent = limits.memoryHighWatermarkPercent;
  m.lowWatermarkPercent = limits.memoryLowWatermarkPercent;
  return m;
}

uint64_t machineMemoryBytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long size = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? uint64_t(pages) * uint64_t(size) : 0;
}

}  // namespace bh::proxy
