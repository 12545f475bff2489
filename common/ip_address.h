#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bh {

enum class IpFamily : uint8_t { V4, V6 };

/// An IPv4 or IPv6 address without socket headers (common/ does no I/O). IPv4 lives in the
/// first four bytes, the rest zero, so two addresses compare equal only within one family.
class IpAddress {
 public:
  IpAddress() = default;
  /// @param hostOrder the address as a host-order integer (10.0.0.1 = 0x0a000001).
  static IpAddress v4(uint32_t hostOrder);
  /// @param bytes network-order bytes.
  static IpAddress v4(const std::array<uint8_t, 4>& bytes);
  static IpAddress v6(const std::array<uint8_t, 16>& bytes);
  /// Dotted quad, or RFC 4291 text (with "::" and an optional dotted IPv4 tail). No zone ids.
  static std::optional<IpAddress> parse(std::string_view text);

  IpFamily family() const { return family_; }
  bool isV4() const { return family_ == IpFamily::V4; }
  /// Network-order bytes; 4 significant for IPv4, 16 for IPv6.
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  int bitLength() const { return isV4() ? 32 : 128; }
  /// ::ffff:a.b.c.d as the IPv4 address a dual-stack socket really talked to; others unchanged.
  IpAddress unmapped() const;
  /// Dotted quad, or RFC 5952 canonical IPv6 text (lower case, longest zero run as "::").
  std::string toString() const;

  auto operator<=>(const IpAddress&) const = default;

 private:
  IpFamily family_ = IpFamily::V4;
  std::array<uint8_t, 16> bytes_{};
};

/// An address prefix: "10.0.0.0/8", "2001:db8::/32"; a bare address is a host prefix.
class IpPrefix {
 public:
  IpPrefix() = default;
  IpPrefix(IpAddress network, int length) : network_(network), length_(length) {}
  /// Fails with a reason (bad address, length out of range, host bits set).
  static std::optional<IpPrefix> parse(std::string_view text, std::string* why = nullptr);

  const IpAddress& network() const { return network_; }
  int length() const { return length_; }
  bool isHost() const { return length_ == network_.bitLength(); }
  /// True when `addr` is in the prefix; never across families.
  bool contains(const IpAddress& addr) const;
  /// "10.0.0.0/8", "2001:db8::/32".
  std::string toString() const;
  /// WAAS/IOS wildcard form for IPv4 ("10.0.0.0 0.255.255.255"); IPv6 keeps "/len".
  std::string toWildcardString() const;

  bool operator==(const IpPrefix&) const = default;

 private:
  IpAddress network_;
  int length_ = 0;
};

}  // namespace bh
