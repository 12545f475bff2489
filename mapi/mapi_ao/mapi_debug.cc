#include "mapi/mapi_ao/mapi_debug.h"

#include <array>
#include <cctype>

namespace bh::mapi::mapi_ao {

namespace {

struct Named {
  const char* name;
  MapiDebug category;
};

constexpr std::array<Named, 7> kCategories{{
    {"Common-flow", MapiDebug::CommonFlow},
    {"DCERPC-layer", MapiDebug::DcerpcLayer},
    {"EMSMDB-layer", MapiDebug::EmsmdbLayer},
    {"ROP-layer", MapiDebug::RopLayer},
    {"ROP-parser", MapiDebug::RopParser},
    {"RPC-parser", MapiDebug::RpcParser},
    {"Transport", MapiDebug::Transport},
}};

bool sameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<uint32_t> parseMapiDebugCategory(std::string_view name) {
  if (sameName(name, "all")) {
    return kMapiDebugAll;
  }
  for (const auto& c : kCategories) {
    if (sameName(name, c.name)) {
      return static_cast<uint32_t>(c.category);
    }
  }
  return std::nullopt;
}

std::vector<std::string> mapiDebugCategoryNames(uint32_t mask) {
  std::vector<std::string> names;
  for (const auto& c : kCategories) {
    if ((mask & static_cast<uint32_t>(c.category)) != 0) {
      names.emplace_back(c.name);
    }
  }
  return names;
}

const char* mapiDebugName(MapiDebug category) {
  for (const auto& c : kCategories) {
    if (c.category == category) {
      return c.name;
    }
  }
  return "?";
}

}  // namespace bh::mapi::mapi_ao
