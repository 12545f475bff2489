#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "policy/config.h"
#include "policy/connection_limiter.h"

namespace bh::policy {

/// Run-time facts the renderer cannot know from configuration.
struct AcceleratorStatus {
  bool licensed = true;
  std::string operationalState = "Running";  ///< Running | Shutdown | ...
  bool registered = true;                    ///< the accelerator registered with the policy engine
};

/// `show accelerator mapi`: the state table, the MAPI config items, and the Policy Engine part
/// (State Registered, Default Action, Connection Limit 6000, Effective Limit 5990, Keepalive
/// timeout 5.0 seconds), column for column as the seed prints it.
std::string showAcceleratorMapi(const Config& config, const AcceleratorStatus& status);
nlohmann::json acceleratorMapiJson(const Config& config, const AcceleratorStatus& status);

/// The limiter's lines of `show statistics connection` ("Current Reserved Flows: 12", ...).
std::string showLimiterCounters(const LimiterCounters& counters);
nlohmann::json limiterCountersJson(const LimiterCounters& counters);

}  // namespace bh::policy
