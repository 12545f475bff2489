#pragma once

#include <string>
#include <string_view>

#include "policy/config.h"
#include "policy/result.h"

namespace bh::policy {

/// Parses and validates one configuration document. Never throws: JSON syntax errors, wrong
/// types, out-of-range values, unknown keys (with the closest known key), duplicate names and
/// dangling references all come back as errors naming their JSON pointer, all of them at once.
Result<Config> loadConfig(std::string_view json);

/// Reads `path` (default /etc/bridgehead/bridgehead.json) and loads it; an unreadable or
/// oversized file is an error at the document root.
Result<Config> loadConfigFile(const std::string& path = kDefaultConfigPath);

/// Checks what spans sections: names unique, classes naming known classifiers and applications,
/// no class after a match-all class, limits consistent. Used by loadConfig and by code that
/// builds a Config by hand. Paths index the Config's own vectors.
void validateConfig(const Config& config, ConfigErrors& errors);

}  // namespace bh::policy
