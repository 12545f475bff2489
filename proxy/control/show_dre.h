#pragma once

// `show statistics dre`: the generic accelerator's cache, its peers' ledgers, and the bytes
// of the optimized flows that have ended (LAN = original, WAN = optimized), with the seed's
// total reduction ratio. Rendered from plain data.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "proxy/generic/generic_accelerator.h"

namespace bh::proxy {

/// Bytes of the optimized flows that have ended.
struct EndedFlowTotals {
  uint64_t flows = 0, lanRead = 0, lanWritten = 0, wanRead = 0, wanWritten = 0;
};

struct DreStatistics {
  std::optional<uint64_t> cacheEpoch;  ///< none: the cache is not open
  EndedFlowTotals totals;
  std::vector<GenericAccelerator::LedgerView> ledgers;
};

nlohmann::json showStatisticsDre(const DreStatistics& s);

}  // namespace bh::proxy
