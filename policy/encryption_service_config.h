#pragma once

// The `encryption_service` section of bridgehead.json: its loader and its running-config form
// (the section's keys are documented in bridgehead.json(5)).

#include <nlohmann/json.hpp>

#include "policy/config.h"
#include "policy/result.h"

namespace bh::policy {

void loadEncryptionService(const nlohmann::json& j, Config& c, ConfigErrors& errors);
nlohmann::json encryptionServiceRunningConfig(const EncryptionServiceSettings& s);

}  // namespace bh::policy
