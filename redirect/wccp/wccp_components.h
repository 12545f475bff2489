#pragma once

// The components and information elements of a WCCPv2 message (draft-wilson-wccp-v2-12-oct-2001,
// sections 5.6 and 5.7), as plain values. Addresses are IPv4 (the 2001 draft carries no other
// family), kept as host-order integers: 10.91.1.1 is 0x0a5b0101.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/bytes.h"

namespace bh::redirect::wccp {

/// 5.6.1: none, or MD5 over the password and the message.
enum class SecurityOption : uint32_t { None = 0, Md5 = 1 };

struct SecurityInfo {
  SecurityOption option = SecurityOption::None;
  /// MD5 only: the digest (zero while the message is being signed).
  std::array<uint8_t, 16> md5{};
  bool operator==(const SecurityInfo&) const = default;
};

/// 5.6.2 Service Type.
enum class ServiceType : uint8_t { Standard = 0, Dynamic = 1 };

/// 5.6.2 Service Flags.
namespace service_flags {
inline constexpr uint32_t kSrcIpHash = 0x0001;
inline constexpr uint32_t kDstIpHash = 0x0002;
inline constexpr uint32_t kSrcPortHash = 0x0004;
inline constexpr uint32_t kDstPortHash = 0x0008;
inline constexpr uint32_t kPortsDefined = 0x0010;
inline constexpr uint32_t kPortsSource = 0x0020;
inline constexpr uint32_t kSrcIpAltHash = 0x0100;
inline constexpr uint32_t kDstIpAltHash = 0x0200;
inline constexpr uint32_t kSrcPortAltHash = 0x0400;
inline constexpr uint32_t kDstPortAltHash = 0x0800;
}  // namespace service_flags

/// 5.6.2 Service Info: a standard service is named by its id alone (0 = HTTP); a dynamic one is
/// described by protocol, flags and ports (WAAS's tcp-promiscuous: 61 and 62, protocol 6).
struct ServiceInfo {
  ServiceType type = ServiceType::Dynamic;
  uint8_t id = 0;
  uint8_t priority = 0;
  uint8_t protocol = 0;
  uint32_t flags = 0;
  std::array<uint16_t, 8> ports{};
  bool operator==(const ServiceInfo&) const = default;
};

/// 5.7.1 Router ID Element.
struct RouterIdElement {
  uint32_t routerId = 0;
  uint32_t receiveId = 0;
  bool operator==(const RouterIdElement&) const = default;
};

/// 5.6.3 Router Identity Info.
struct RouterIdentityInfo {
  RouterIdElement router;
  uint32_t sentTo = 0;
  std::vector<uint32_t> receivedFrom;
  bool operator==(const RouterIdentityInfo&) const = default;
};

/// 5.7.7 Mask Element: a zero mask field means "don't care".
struct MaskElement {
  uint32_t srcAddrMask = 0;
  uint32_t dstAddrMask = 0;
  uint16_t srcPortMask = 0;
  uint16_t dstPortMask = 0;
  bool operator==(const MaskElement&) const = default;
};

/// 5.7.8 Value Element: packets whose masked fields equal these go to `webCache`.
struct ValueElement {
  uint32_t srcAddr = 0;
  uint32_t dstAddr = 0;
  uint16_t srcPort = 0;
  uint16_t dstPort = 0;
  uint32_t webCache = 0;
  bool operator==(const ValueElement&) const = default;
};

/// 5.7.6 Mask/Value Set Element.
struct MaskValueSet {
  MaskElement mask;
  std::vector<ValueElement> values;
  bool operator==(const MaskValueSet&) const = default;
};

/// 5.7.2 Web-Cache Identity Element: the box's address and its part of the assignment, either a
/// 256-bit bucket vector (hash, T = 0) or mask/value sets (mask, T = 1).
struct WebCacheIdentity {
  uint32_t address = 0;
  uint16_t hashRevision = 0;
  /// U: the bucket data is historical (no assignment now).
  bool unassigned = false;
  /// T: mask assignment data follows instead of hash data.
  bool maskAssignment = false;
  /// The reserved bits after U and T, as received (kept so a message round-trips).
  uint16_t reservedFlags = 0;
  std::array<uint8_t, 32> buckets{};   ///< hash: bit i (MSB first) = bucket i
  std::vector<MaskValueSet> maskSets;  ///< mask
  uint16_t weight = 0;
  uint16_t status = 0;
  bool operator==(const WebCacheIdentity&) const = default;
};

/// 5.7.3 Assignment Key Element.
struct AssignmentKey {
  uint32_t address = 0;
  uint32_t changeNumber = 0;
  bool operator==(const AssignmentKey&) const = default;
};

/// 5.6.5 Router View Info: a router's view of the service group.
struct RouterViewInfo {
  uint32_t memberChangeNumber = 0;
  AssignmentKey assignmentKey;
  std::vector<uint32_t> routers;
  std::vector<WebCacheIdentity> webCaches;
  bool operator==(const RouterViewInfo&) const = default;
};

/// 5.6.6 Web-Cache View Info: a box's view of the service group.
struct WebCacheViewInfo {
  uint32_t changeNumber = 0;
  std::vector<RouterIdElement> routers;
  std::vector<uint32_t> webCaches;
  bool operator==(const WebCacheViewInfo&) const = default;
};

/// 5.7.4 Router Assignment Element.
struct RouterAssignment {
  uint32_t routerId = 0;
  uint32_t receiveId = 0;
  uint32_t changeNumber = 0;
  bool operator==(const RouterAssignment&) const = default;
};

/// A bucket of the redirection hash table: a web-cache index 0-31 and the A (alternate hash)
/// flag, or kUnassignedBucket (5.6.7).
inline constexpr uint8_t kUnassignedBucket = 0xff;

/// 5.6.7 Assignment Info (also the body of a hash Alternate Assignment, 5.6.10).
struct HashAssignment {
  AssignmentKey key;
  std::vector<RouterAssignment> routers;
  std::vector<uint32_t> webCaches;
  std::array<uint8_t, 256> buckets{};
  bool operator==(const HashAssignment&) const = default;
};

/// 5.6.10 mask Alternate Assignment body.
struct MaskAssignment {
  AssignmentKey key;
  std::vector<RouterAssignment> routers;
  std::vector<MaskValueSet> sets;
  bool operator==(const MaskAssignment&) const = default;
};

/// 5.6.10 Alternate Assignment (type 13): a hash or a mask assignment.
struct AltAssignment {
  std::variant<HashAssignment, MaskAssignment> body;
  bool operator==(const AltAssignment&) const = default;
};

/// 5.6.11 Assignment Map (type 14): the mask/value sets a router applies.
struct AssignmentMap {
  std::vector<MaskValueSet> sets;
  bool operator==(const AssignmentMap&) const = default;
};

/// 5.6.8 Router Query Info.
struct RouterQueryInfo {
  uint32_t routerId = 0;
  uint32_t receiveId = 0;
  uint32_t sentTo = 0;
  uint32_t target = 0;
  bool operator==(const RouterQueryInfo&) const = default;
};

/// 5.7.5 Capability Element types and their bit values.
enum class CapabilityType : uint16_t {
  ForwardingMethod = 1,
  AssignmentMethod = 2,
  ReturnMethod = 3
};
namespace method {
inline constexpr uint32_t kGre = 0x1;   ///< forwarding and return
inline constexpr uint32_t kL2 = 0x2;    ///< forwarding and return
inline constexpr uint32_t kHash = 0x1;  ///< assignment
inline constexpr uint32_t kMask = 0x2;  ///< assignment
}  // namespace method

struct CapabilityElement {
  uint16_t type = 0;
  /// The value as sent; the three defined types carry a 32-bit bitmask.
  Bytes value;
  bool operator==(const CapabilityElement&) const = default;
};

/// 5.6.9 Capabilities Info.
struct CapabilityInfo {
  std::vector<CapabilityElement> elements;
  /// The 32-bit value of a defined capability, if present and 4 bytes long.
  std::optional<uint32_t> value(CapabilityType type) const;
  bool operator==(const CapabilityInfo&) const = default;
};

/// One defined capability and its 32-bit value (5.7.5).
CapabilityElement capabilityElement(CapabilityType type, uint32_t value);
/// The three defined capabilities, as a box or a router advertises them.
CapabilityInfo capabilityInfo(uint32_t forwarding, uint32_t assignment, uint32_t returns);
/// The Security Info a service group's messages start with: MD5 (its digest written when the
/// message is signed) or none.
SecurityInfo securityInfo(bool md5);
/// 4.4: a dynamic service is the same service only with the same protocol, flags, priority and
/// ports; a standard one is its id.
bool sameService(const ServiceInfo& a, const ServiceInfo& b);

/// 5.6.12 Command Extension (type 15): SHUTDOWN (1) and SHUTDOWN_RESPONSE (2) carry an address.
struct CommandExtension {
  uint16_t commandType = 0;
  Bytes data;
  bool operator==(const CommandExtension&) const = default;
};

/// A component this codec does not know: kept as sent so a message round-trips.
struct UnknownComponent {
  uint16_t type = 0;
  Bytes body;
  bool operator==(const UnknownComponent&) const = default;
};

using Component =
    std::variant<SecurityInfo, ServiceInfo, RouterIdentityInfo, WebCacheIdentity, RouterViewInfo,
                 WebCacheViewInfo, HashAssignment, RouterQueryInfo, CapabilityInfo, AltAssignment,
                 AssignmentMap, CommandExtension, UnknownComponent>;

}  // namespace bh::redirect::wccp
