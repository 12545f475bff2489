#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bh::proxy::codec {

/// A peer's identity: 6 bytes, usually the MAC of its primary interface, shown as the seed's
/// PeerID column ("0:1a:64:d3:2f:b8": lower-case hex, no leading zeros).
struct DeviceId {
  std::array<uint8_t, 6> bytes{};

  std::string toString() const;
  /// Parses "0:1a:64:d3:2f:b8" or "00:1a:64:d3:2f:b8" (1-2 hex digits per byte, ':' between).
  static std::optional<DeviceId> fromString(std::string_view text);
  bool operator==(const DeviceId&) const = default;
};

/// Which half of a peering a box plays for a flow (docs/ARCHITECTURE.md "Deployment").
enum class Role : uint8_t { Edge = 1, Core = 2 };

/// @return "Edge" / "Core", or "Unknown" for a value no peer should send.
std::string_view roleName(Role role);

}  // namespace bh::proxy::codec
