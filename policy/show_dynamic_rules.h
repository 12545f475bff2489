#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "policy/dynamic_rules.h"

namespace bh::policy {

/// `show policy-engine application dynamic`, shaped like WAAS: freelist use, counts per match
/// type, then per rule its Type, User Id, Src/Dst, Map Name, Flags, Seconds (lifetime) and
/// Remaining ("- NA -" while flows hold it), Hits and Flows.
std::string showDynamicRules(const DynamicRules& rules);
nlohmann::json dynamicRulesJson(const DynamicRules& rules);

}  // namespace bh::policy
