#include <doctest/doctest.h>

// `show statistics memory` renders the budget's limits and counters, text and JSON alike.

#include "proxy/control/show_memory.h"

using bh::proxy::MemoryBudget;

TEST_CASE("show statistics memory: budget, watermarks, use, state and counters") {
  MemoryBudget b({1000, 80, 70});
  b.sample({{1, 850}});
  CHECK_FALSE(b.admitOptimized());
  b.sample({{1, 700}, {2, 400}});  // 1100: flow 1 reset
  auto r = showStatisticsMemory(b);
  REQUIRE(r["ok"] == true);
  const auto& j = r["json"];
  CHECK(j["budget_bytes"] == 1000);
  CHECK(j["high_watermark_bytes"] == 800);
  CHECK(j["low_watermark_bytes"] == 700);
  CHECK(j["buffered_bytes"] == 1100);
  CHECK(j["peak_buffered_bytes"] == 1100);
  CHECK(j["state"] == "pressure");
  CHECK(j["refused_flows"] == 1);
  CHECK(j["reset_flows"] == 1);
  const std::string text = r["text"];
  CHECK(text.find("Budget (bytes):                         1000\n") != std::string::npos);
  CHECK(text.find("State:                                  pressure\n") != std::string::npos);
  CHECK(text.find("Flows reset (over the budget):          1\n") != std::string::npos);
}
