#include "proxy/control/show_memory.h"

#include <cstdio>

#include "proxy/control/reply.h"

namespace bh::proxy {

namespace {

std::string row(const char* name, uint64_t value) {
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%-40s%llu\n", name, static_cast<unsigned long long>(value));
  return buf;
}

}  // namespace

nlohmann::json showStatisticsMemory(const MemoryBudget& budget) {
  const auto& l = budget.limits();
  const auto& c = budget.counters();
  const char* state = memoryBudgetStateName(budget.state());
  std::string text = "Memory budget for buffered flow data\n";
  text += row("Budget (bytes):", l.budgetBytes);
  text += row("High watermark (bytes):", budget.highWatermarkBytes());
  text += row("Low watermark (bytes):", budget.lowWatermarkBytes());
  text += row("Buffered now (bytes):", c.inUseBytes);
  text += row("Buffered at most (bytes):", c.peakBytes);
  text += std::string("State:") + std::string(34, ' ') + state + "\n";
  text += row("Times the high watermark was crossed:", c.pressureEpisodes);
  text += row("New flows not optimized (watermark):", c.refusedFlows);
  text += row("Flows reset (over the budget):", c.resetFlows);
  nlohmann::json j = {{"budget_bytes", l.budgetBytes},
                      {"high_watermark_bytes", budget.highWatermarkBytes()},
                      {"low_watermark_bytes", budget.lowWatermarkBytes()},
                      {"buffered_bytes", c.inUseBytes},
                      {"peak_buffered_bytes", c.peakBytes},
                      {"state", state},
                      {"pressure_episodes", c.pressureEpisodes},
                      {"refused_flows", c.refusedFlows},
                      {"reset_flows", c.resetFlows}};
  return replyOk(text, j);
}

}  // namespace bh::proxy
