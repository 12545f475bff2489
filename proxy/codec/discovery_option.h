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

/// Flag bits of DiscoveryOption::flags (2 bits on the wire).
namespace DiscoveryFlags {
/// Set by the core on its SYN-ACK: "I am answering your discovery".
constexpr uint8_t Answer = 0x1;
/// WAN secure (issue 16): on the edge's SYN "my mode secures this flow's peer leg"; on the
/// core's SYN-ACK "so does mine". Both set: the leg runs TLS (the edge starts with its
/// ClientHello); they differ: a mode mismatch, the flow passes through. A core that predates
/// the flag never sets it, which the edge takes as a mismatch too.
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

  bool isAnswer() const { return (flags & DiscoveryFlags::Answer) != 0; }
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
