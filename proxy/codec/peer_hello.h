#pragma once

#include <array>
#include <cstdint>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "device_id.h"
#include "optimization_policy.h"

namespace bh::proxy::codec {

/// Version of the HELLO exchange this codec speaks. It reads versions 1 (no WAN bandwidth) and
/// 2; a Hello of any other version does not decode, and the peer gets a Reset.
constexpr uint8_t kPeerProtocolVersion = 2;
constexpr uint8_t kOldestPeerProtocolVersion = 1;

/// The flow as the client opened it. The core cross-checks it against the connection it
/// accepted (both legs keep the original 4-tuple: docs/ARCHITECTURE.md "One MAPI flow",
/// steps 2 and 4).
struct FlowTuple {
  uint8_t ipVersion = 4;               ///< 4 or 6
  std::array<uint8_t, 16> clientIp{};  ///< IPv4 uses the first 4 bytes; the rest stay zero
  uint16_t clientPort = 0;
  std::array<uint8_t, 16> serverIp{};
  uint16_t serverPort = 0;
  bool operator==(const FlowTuple&) const = default;
};

/// Edge -> core, first frame on a peered connection.
///   version u8 | role u8 | deviceId[6] | policy u8 | acceleratorWanted u8 |
///   ipVersion u8 | clientIp[4|16] | clientPort u16 | serverIp[4|16] | serverPort u16 |
///   wanBandwidthKbit u32 (version 2 and later)
struct Hello {
  uint8_t protocolVersion = kPeerProtocolVersion;
  Role role = Role::Edge;
  DeviceId deviceId;
  /// The sender's policy for this flow after its own limits (its "Derived" line); the
  /// receiver's "Peer" line.
  uint8_t policy = 0;
  Accelerator acceleratorWanted = Accelerator::None;
  FlowTuple tuple;
  /// The edge's WAN link (peering.wan_bandwidth_kbit; 0: not configured, and always 0 from a
  /// version 1 peer). A core serves branches of many speeds: it paces its legs to each edge
  /// by what that edge says.
  uint32_t wanBandwidthKbit = 0;
  bool operator==(const Hello&) const = default;
};

/// Core -> edge, the answer.
///   version u8 | role u8 | deviceId[6] | policy u8 | negotiated u8 | applied u8 |
///   acceleratorApplied u8
struct HelloAck {
  uint8_t protocolVersion = kPeerProtocolVersion;
  Role role = Role::Core;
  DeviceId deviceId;
  uint8_t policy = 0;      ///< the core's derived policy (the edge's "Peer" line)
  uint8_t negotiated = 0;  ///< PolicyDetails::negotiated as the core computed it
  uint8_t applied = 0;     ///< PolicyDetails::applied on the core
  Accelerator acceleratorApplied = Accelerator::None;
  bool operator==(const HelloAck&) const = default;
};

/// Appends the payload of a Hello frame; false (nothing written) for an unknown role,
/// accelerator or IP version, or IPv4 address bytes past the fourth that are not zero.
bool encodeHello(const Hello& hello, Bytes& out);
/// Decodes a whole Hello payload; Error on a short or over-long payload or unknown enum value.
ParseResult decodeHello(ByteSpan payload, Hello& out);

bool encodeHelloAck(const HelloAck& ack, Bytes& out);
ParseResult decodeHelloAck(ByteSpan payload, HelloAck& out);

}  // namespace bh::proxy::codec
