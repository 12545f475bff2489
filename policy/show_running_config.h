#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "policy/config.h"

namespace bh::policy {

/// `show running-config`: WAAS-shaped lines, flush left as the seed prints them
/// (`map adaptor EPM mapi`, `name Email-and-Messaging All action optimize full accelerate mapi`,
/// `classifier MS-EndPointMapper` / `match dst port eq 135` / `exit`).
std::string showRunningConfig(const Config& config);

/// The configuration as JSON in the file's own schema; loadConfig() accepts it back unchanged.
nlohmann::json configToJson(const Config& config);

/// One `match` line for a clause: "match src ip 10.0.0.0 0.255.255.255 dst port eq 135".
std::string matchLine(const MatchClause& clause);

}  // namespace bh::policy
