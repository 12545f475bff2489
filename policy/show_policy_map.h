#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "policy/policy.h"

namespace bh::policy {

/// `show class-map type waas`: one "Class-map type waas match-any <name>" per classifier and EPM
/// map, each match with its flow-match counter ("Match tcp destination epm mapi (0 flow-matches)").
std::string showClassMap(const Policy& policy);
nlohmann::json classMapJson(const Policy& policy);

/// `show policy-map type waas`: the map with its total, then each class in match order
/// ("Class MAPI (0 flow-matches)" / "optimize full accelerate mapi application
/// Email-and-Messaging"). EPM map classes come first because dynamic rules are consulted first.
std::string showPolicyMap(const Policy& policy);
nlohmann::json policyMapJson(const Policy& policy);

/// The class name WAAS gives an EPM map: its adaptor name in capitals ("mapi" -> "MAPI").
std::string epmClassName(const EpmMap& map);

}  // namespace bh::policy
