#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bh::policy {

/// An inclusive TCP port range, written the WAAS way: "eq 135", "range 1024 65535"; "135" and
/// "1024-65535" are accepted as shorthands.
struct PortRange {
  uint16_t low = 0;
  uint16_t high = 0;

  static PortRange single(uint16_t port) { return {port, port}; }
  /// Fails with a reason (syntax, a number outside 0-65535, low > high).
  static std::optional<PortRange> parse(std::string_view text, std::string* why = nullptr);

  bool contains(uint16_t port) const { return port >= low && port <= high; }
  /// "eq 135" or "range 1024 65535", as in `match dst port eq 135`.
  std::string toString() const;

  bool operator==(const PortRange&) const = default;
};

}  // namespace bh::policy
