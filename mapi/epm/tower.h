#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "mapi/dcerpc/uuid.h"

namespace bh::mapi::epm {

using dcerpc::SyntaxId;
using dcerpc::Uuid;

/// Protocol identifiers of tower floors (C706 Appendix I; MS-RPCE 2.2.1.2.5 reuses them).
/// C706 defines no IPv6 host-address identifier and MS-RPCE documents none either, so IPv6
/// floors are kept as opaque floors (Floor::lhs/rhs) rather than guessed at.
enum class ProtocolId : uint8_t {
  TcpPort = 0x07,
  UdpPort = 0x08,
  Ipv4Address = 0x09,
  RpcConnectionless = 0x0a,
  RpcConnectionOriented = 0x0b,
  Uuid = 0x0d,
  NamedPipe = 0x0f,
  LocalRpc = 0x10,
  NetBiosHost = 0x11,
  Http = 0x1f,
};

/// One floor: a protocol identifier with its data on the left, related data (address, port,
/// minor version) on the right (C706 Appendix L). Both sides are kept as sent.
struct Floor {
  Bytes lhs;
  Bytes rhs;
  /// First LHS byte (the protocol identifier); 0 for an empty LHS.
  uint8_t protocolId() const { return lhs.empty() ? 0 : lhs[0]; }
  bool operator==(const Floor&) const = default;
};

/// A protocol tower (twr_t's tower_octet_string). Its floor count and every length are
/// little-endian whatever the PDU's drep (C706 Appendix L).
struct Tower {
  std::vector<Floor> floors;
  bool operator==(const Tower&) const = default;
};

struct TowerLimits {
  size_t maxFloors = 16;  ///< real towers have 3 to 6
};

using Ipv4 = std::array<uint8_t, 4>;

/// Decodes a whole tower_octet_string; every byte must belong to a floor.
/// @return Done(octets.size()) or Error.
ParseResult decodeTower(ByteSpan octets, Tower& out, const TowerLimits& limits = {});
/// Encodes a tower; nullopt if a side or the floor count exceeds 65535.
std::optional<Bytes> encodeTower(const Tower& tower);

/// Floor builders (C706 Appendix L "protocol tower encoding").
/// UUID floor: LHS 0x0d + uuid (little-endian wire form) + major (u16 LE); RHS minor (u16 LE).
Floor uuidFloor(const SyntaxId& id);
/// Protocol floor with no address: LHS id; RHS minor version (u16 LE), e.g. RPC CO 0x0b.
Floor protocolFloor(ProtocolId id, uint16_t minorVersion = 0);
/// TCP port floor: LHS 0x07; RHS port, big-endian.
Floor tcpPortFloor(uint16_t port);
/// IPv4 floor: LHS 0x09; RHS the 4 address bytes in network order.
Floor ipv4Floor(const Ipv4& address);
/// The usual ncacn_ip_tcp tower: interface, transfer syntax, RPC CO, TCP port, IPv4 address.
Tower tcpIpTower(const SyntaxId& interfaceId, const SyntaxId& transferSyntax, uint16_t port,
                 const Ipv4& address);

/// Floor readers: nullopt when the floor is not of that kind or its sizes are wrong.
std::optional<SyntaxId> uuidFloorSyntax(const Floor& f);
std::optional<uint16_t> tcpPort(const Floor& f);
std::optional<Ipv4> ipv4Address(const Floor& f);

/// What a ncacn_ip_tcp tower names: interface, address and port.
struct Endpoint {
  SyntaxId interfaceId;
  Ipv4 address{};
  uint16_t port = 0;
  /// "a.b.c.d:port".
  std::string addressString() const;
  bool operator==(const Endpoint&) const = default;
};

/// The endpoint a tower describes: floor 1 a UUID floor, and a TCP port floor and an IPv4
/// floor somewhere after it; nullopt otherwise.
std::optional<Endpoint> endpointOf(const Tower& tower);

}  // namespace bh::mapi::epm
