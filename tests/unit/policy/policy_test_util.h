#pragma once

#include <fstream>
#include <sstream>
#include <string>

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

}  // namespace bh::policy::test
