#include <doctest/doctest.h>

// The box's memory budget (proxy/memory_budget.h): refusal above the high watermark with
// hysteresis, resets of the largest holders above the budget, reload, no budget.

#include "proxy/memory_budget.h"

using bh::proxy::MemoryBudget;
using bh::proxy::MemoryBudgetLimits;
using Usage = std::vector<MemoryBudget::FlowUsage>;

namespace {

MemoryBudget budgetOf(uint64_t bytes) {
  return MemoryBudget(MemoryBudgetLimits{bytes, 80, 70});
}

}  // namespace

TEST_CASE("no budget: every flow admitted, none reset, use still counted") {
  MemoryBudget b;
  CHECK(b.sample({{1, 1u << 30}, {2, 1u << 30}}).empty());
  CHECK(b.admitOptimized());
  CHECK(b.counters().inUseBytes == (2ull << 30));
  CHECK(b.counters().peakBytes == (2ull << 30));
  CHECK(b.counters().refusedFlows == 0);
}

TEST_CASE("high watermark: new flows refused until use falls below the low watermark") {
  MemoryBudget b = budgetOf(1000);
  CHECK(b.sample({{1, 400}, {2, 399}}).empty());  // 799: under 800
  CHECK(b.admitOptimized());
  CHECK(b.sample({{1, 400}, {2, 400}}).empty());  // 800: at the high watermark
  CHECK(b.state() == MemoryBudget::State::Pressure);
  CHECK_FALSE(b.admitOptimized());
  CHECK_FALSE(b.admitOptimized());
  CHECK(b.counters().refusedFlows == 2);
  b.sample({{1, 750}});  // between the watermarks: still under pressure (no flapping)
  CHECK_FALSE(b.admitOptimized());
  b.sample({{1, 700}});  // 700: not below 70 %
  CHECK_FALSE(b.admitOptimized());
  b.sample({{1, 699}});
  CHECK(b.state() == MemoryBudget::State::Normal);
  CHECK(b.admitOptimized());
  CHECK(b.counters().refusedFlows == 4);
  CHECK(b.counters().pressureEpisodes == 1);
  CHECK(b.counters().peakBytes == 800);
}

TEST_CASE("over the budget: the largest holders are reset until use is under the high watermark") {
  MemoryBudget b = budgetOf(1000);
  // 1100 > 1000: resetting the 500-byte flow leaves 600 < 800.
  CHECK(b.sample({{7, 100}, {3, 500}, {9, 300}, {4, 200}}) == std::vector<uint64_t>{3});
  // 1100 with equal holders: two go (800 is not under 800), in connection-id order on ties.
  CHECK(b.sample({{5, 300}, {2, 300}, {8, 300}, {1, 200}}) == std::vector<uint64_t>{2, 5});
  CHECK(b.counters().resetFlows == 3);
  // At the budget exactly: refused new flows, but nobody reset.
  CHECK(b.sample({{1, 1000}}).empty());
  // Flows holding nothing are never reset, even when the rest cannot bring use down.
  MemoryBudget c = budgetOf(100);
  CHECK(c.sample({{1, 0}, {2, 150}, {3, 0}}) == std::vector<uint64_t>{2});
}

TEST_CASE("a reload with a smaller budget takes effect at the next sample") {
  MemoryBudget b = budgetOf(10000);
  Usage flows = {{1, 3000}, {2, 2000}};
  CHECK(b.sample(flows).empty());
  CHECK(b.admitOptimized());
  b.setLimits({4000, 80, 70});
  CHECK(b.sample(flows) == std::vector<uint64_t>{1});  // 5000 > 4000; 2000 < 3200 after
  CHECK_FALSE(b.admitOptimized());
  b.setLimits({});  // budget off
  CHECK(b.sample(flows).empty());
  CHECK(b.admitOptimized());
}

TEST_CASE("limits.* to the budget: configured MiB, or a quarter of the machine") {
  bh::policy::Limits l;
  CHECK(bh::proxy::memoryBudgetLimitsOf(l, 8ull << 30).budgetBytes == (2ull << 30));
  l.memoryBudgetMb = 64;
  l.memoryHighWatermarkPercent = 90;
  l.memoryLowWatermarkPercent = 50;
  auto m = bh::proxy::memoryBudgetLimitsOf(l, 8ull << 30);
  CHECK(m.budgetBytes == (64ull << 20));
  CHECK(m.highWatermarkPercent == 90);
  CHECK(m.lowWatermarkPercent == 50);
  CHECK(bh::proxy::machineMemoryBytes() > (64ull << 20));
}
