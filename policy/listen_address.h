#pragma once

// A listening address in the config: "ADDRESS:PORT", IPv6 in brackets ("[::1]:9464"), as
// Prometheus' own --web.listen-address writes it. Port 1-65535; the address is given
// (no empty host meaning "every address": say 0.0.0.0 or [::]).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/ip_address.h"
#include "policy/result.h"

namespace bh::policy {

struct Config;

bool parseListenAddress(std::string_view text, IpAddress& address, uint16_t& port);

/// The "metrics" section: {"listen": "ADDRESS:PORT"} ("" or absent: off).
void loadMetrics(const nlohmann::json& j, const std::string& path, Config& c, ConfigErrors& errors);

}  // namespace bh::policy
