#pragma once

// `show statistics memory`: the box's memory budget (proxy/memory_budget.h) - its size and
// watermarks, what flows buffer now and at most, whether new flows are refused, and how many
// were refused or reset. Rendered from the budget alone.

#include <nlohmann/json.hpp>

#include "proxy/memory_budget.h"

namespace bh::proxy {

nlohmann::json showStatisticsMemory(const MemoryBudget& budget);

}  // namespace bh::proxy
