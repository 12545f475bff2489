#pragma once

// Helpers for the DRSUAPI tests: the committed vectors of tests/vectors/drsuapi/.

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "mapi/drsuapi/caps.h"

namespace bh::mapi::drsuapi::testing {

inline Bytes vector(const std::string& name) {
  std::ifstream in(std::string(BH_SOURCE_DIR) + "/tests/vectors/drsuapi/" + name + ".bin",
                   std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "no vector " << name);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline const nlohmann::json& manifest() {
  static const nlohmann::json j = [] {
    std::ifstream in(std::string(BH_SOURCE_DIR) + "/tests/vectors/drsuapi/manifest.json");
    return nlohmann::json::parse(in);
  }();
  return j;
}

inline nlohmann::json fieldsOf(const std::string& name) {
  for (const auto& v : manifest()) {
    if (v["name"] == name) {
      return v["fields"];
    }
  }
  FAIL("no vector " << name);
  return {};
}

inline Bytes hexBytes(const std::string& hex) {
  Bytes b;
  REQUIRE(fromHex(hex, b));
  return b;
}

// A stub is complete when it reaches the codec: every strict prefix must be an error (never a
// success, never a crash or a read past the span).
template <class Msg, class Decode>
void checkPrefixes(const Bytes& wire, Decode decode) {
  for (size_t cut = 0; cut < wire.size(); ++cut) {
    Bytes prefix(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(cut));
    Msg m;
    ParseResult r = decode(prefix, m, Caps{});
    CHECK_MESSAGE(r.status == ParseStatus::Error, "prefix " << cut << " of " << wire.size());
  }
}

}  // namespace bh::mapi::drsuapi::testing
