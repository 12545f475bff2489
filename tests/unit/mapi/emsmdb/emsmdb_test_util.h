#pragma once

// Helpers for the EMSMDB / ROP tests: committed vectors under tests/vectors/<dir>/.

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "common/bytes.h"

namespace bh::mapi::emsmdb::testing {

inline Bytes readVector(const std::string& dir, const std::string& file) {
  std::ifstream in(std::string(BH_SOURCE_DIR) + "/tests/vectors/" + dir + "/" + file,
                   std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline nlohmann::json manifest(const std::string& dir) {
  Bytes raw = readVector(dir, "manifest.json");
  return nlohmann::json::parse(std::string(raw.begin(), raw.end()));
}

inline Bytes randomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) {
    x = static_cast<uint8_t>(rng());
  }
  return b;
}

}  // namespace bh::mapi::emsmdb::testing
