#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "device_id.h"

namespace bh::proxy::codec {

/// Experiment Identifier of the auto-discovery option (RFC 6994 section 3: a 16-bit ExID after
/// kind 253/254 tells concurrent experiments apart). 0x4248 is ASCII "BH". It is not registered
/// with IANA, so it stays configurable through OptionFormat.
constexpr uint16_t kBridgeheadExid = 0x4248;
/// The option version this codec writes; carried in 4 bits on the wire (1..15).
constexpr uint8_t kDiscoveryVersion = 1;

/// Flag bits of DiscoveryOption::flags (2 bits on the wire). What they mean depends on the
/// option's role (proxy/wan_secure/leg_security.h has the whole table).
namespace DiscoveryFlags {
/// On the core's SYN-ACK: "I am answering your discovery" (an answer to an `auto` edge may
/// leave it off: role Core is what makes an option an answer).
constexpr uint8_t Answer = 0x1;
/// On the edge's SYN, with Secure: "my mode for this flow's class is `auto`" (TLS only if the
/// flow needs it). Cores before WAN secure `auto` ignore such a SYN: the flow passes through.
constexpr uint8_t Auto = 0x1;
/// WAN secure (issue 16): on the edge's SYN "my mode secures this flow's peer leg" (`always`,
/// or `auto` with the Auto bit); on the core's SYN-ACK "so does mine" (leg_security.h).
constexpr uint8_t Secure = 0x2;
constexpr uint8_t All = 0x3;  ///< every bit the wire has room for
}  // namespace DiscoveryFlags

/// The auto-discovery option the edge adds to its SYN and the core answers on its SYN-ACK
/// (docs/ARCHITECTURE.md "One MAPI flow", steps 3-4).
struct DiscoveryOption {
  DeviceId deviceId;
  Role role = Role::Edge;
  uint8_t version = kDiscoveryVersion;
  uint8_t flags = 0;            ///< DiscoveryFlags
  uint8_t requestedPolicy = 0;  ///< PolicyBits (optimization_policy.h), passed through as sent

  /// An answer is the core's option (its flags may leave the Answer bit off: leg_security.h).
  bool isAnswer() const { return role == Role::Core; }
  bool operator==(const DiscoveryOption&) const = default;
};

/// How the option is spelled on the wire. The default is an RFC 6994 shared experimental
/// option: kind 253, Length, ExID. The WAAS-like alternative is kind 0x21 without an ExID.
struct OptionFormat {
  uint8_t kind = 253;
  std::optional<uint16_t> exid = kBridgeheadExid;

  static OptionFormat experimental(uint16_t exid = kBridgeheadExid) { return {253, exid}; }
  static OptionFormat waasLike() { return {0x21, std::nullopt}; }

  /// Whole option length: kind + Length + [ExID] + 8 payload bytes (12, or 10 without ExID).
  size_t encodedLength() const { return 2 + (exid ? 2 : 0) + kPayloadLength; }
  /// @return true if `option` (starting at its kind octet) is this format's option, judged by
  ///         kind and ExID only; its payload may still be malformed.
  bool matches(ByteSpan option) const;

  /// deviceId (6) + version/role/flags (1) + requestedPolicy (1).
  static constexpr size_t kPayloadLength = 8;
};

/// Appends the option's bytes. Fails (returns false, writes nothing) if a field does not fit its
/// wire width: version outside 1..15, flags above DiscoveryFlags::All, unknown role, or a kind
/// that TCP reserves (EOL, NOP) or that needs an ExID it was not given.
///
/// Wire layout after kind, Length and the optional ExID:
///   deviceId[6] | version(4 bits) role(2 bits) flags(2 bits) | requestedPolicy(8 bits)
bool encodeDiscoveryOption(const DiscoveryOption& option, const OptionFormat& format, Bytes& out);

/// Decodes one whole option (kind octet first, `option.size()` equal to its Length octet) that
/// matches `format`. Done consumes the whole option; Error means it claims to be ours but its
/// length, version or role is wrong. Never NeedMore: a TCP header arrives whole.
ParseResult decodeDiscoveryOption(ByteSpan option, const OptionFormat& format,
                                  DiscoveryOption& out);

}  // namespace bh::proxy::codec
