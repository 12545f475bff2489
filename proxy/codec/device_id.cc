#include "device_id.h"

#include <cstdio>

namespace bh::proxy::codec {

std::string DeviceId::toString() const {
  std::string out;
  char part[4];
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::snprintf(part, sizeof(part), i == 0 ? "%x" : ":%x", bytes[i]);
    out += part;
  }
  return out;
}

std::optional<DeviceId> DeviceId::fromString(std::string_view text) {
  DeviceId id;
  size_t at = 0;
  for (size_t i = 0; i < id.bytes.size(); ++i) {
    if (i != 0) {
      if (at >= text.size() || text[at] != ':') {
        return std::nullopt;
      }
      ++at;
    }
    unsigned value = 0;
    size_t digits = 0;
    while (at < text.size() && digits < 3) {
      const char c = text[at];
      unsigned d;
      if (c >= '0' && c <= '9') {
        d = static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<unsigned>(c - 'A' + 10);
      } else {
        break;
      }
      value = value * 16 + d;
      ++digits;
      ++at;
    }
    if (digits == 0 || digits > 2) {
      return std::nullopt;
    }
    id.bytes[i] = static_cast<uint8_t>(value);
  }
  if (at != text.size()) {
    return std::nullopt;
  }
  return id;
}

std::string_view roleName(Role role) {
  switch (role) {
    case Role::Edge:
      return "Edge";
    case Role::Core:
      return "Core";
  }
  return "Unknown";
}

}  // namespace bh::proxy::codec
