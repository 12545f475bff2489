#pragma once

// `show accelerator [NAME]`: the seed's table of accelerators (licensed, config state,
// operational state), one row per accelerator the box runs, rendered from plain rows.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bh::proxy {

struct AcceleratorRow {
  std::string name;
  bool enabled = false;
  std::string state;  ///< operational state ("Running", "Shutdown", ...)
};

/// The table of `rows`, or of the row named `only` when not empty (an error when none is).
nlohmann::json showAccelerators(const std::vector<AcceleratorRow>& rows, const std::string& only);

}  // namespace bh::proxy
