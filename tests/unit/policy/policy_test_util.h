#pragma once

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "policy/config_loader.h"

namespace bh::policy::test {

/// The shipped default configuration, read from the source tree.
inline std::string shippedConfigText() {
  std::ifstream in(std::string(BH_SOURCE_DIR) + "/config/bridgehead.json");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline IpAddress ip(const char* text) {
  auto a = IpAddress::parse(text);
  if (!a) {
    throw std::invalid_argument(std::string("bad test address ") + text);
  }
  return *a;
}

/// True when some error sits at `path` and its message contains `needle`.
inline bool hasError(const ConfigErrors& errors, const std::string& path,
                     const std::string& needle) {
  for (const auto& e : errors) {
    if (e.path == path && e.message.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

/// A configuration the loader must refuse: its text, and where and what the error says.
struct RefusedConfig {
  const char* json;
  const char* path;
  const char* text;
};

/// Loads each configuration; every one must be refused with its error at its path.
inline void checkRefused(const std::vector<RefusedConfig>& cases) {
  for (const RefusedConfig& c : cases) {
    CAPTURE(c.json);
    auto r = loadConfig(c.json);
    REQUIRE_FALSE(r.ok());
    CAPTURE(r.errorText());
    CHECK(hasError(r.errors(), c.path, c.text));
  }
}

}  // namespace bh::policy::test
