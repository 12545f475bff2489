#include "mapi/epm/tower.h"

namespace bh::mapi::epm {
namespace {

bool putSide(ByteWriter& w, const Bytes& side) {
  if (side.size() > 0xffff) {
    return false;
  }
  w.u16(static_cast<uint16_t>(side.size()));
  w.bytes(side);
  return true;
}

}  // namespace

ParseResult decodeTower(ByteSpan octets, Tower& out, const TowerLimits& limits) {
  ByteReader r(octets, Endian::Little);
  uint16_t count = r.u16();
  if (!r.ok()) {
    return ParseResult::fail("tower floor count truncated");
  }
  if (count > limits.maxFloors) {
    return ParseResult::fail("tower floor count above the cap");
  }
  Tower t;
  for (uint16_t i = 0; i < count; ++i) {
    Floor f;
    ByteSpan lhs = r.take(r.u16());
    ByteSpan rhs = r.take(r.u16());
    if (!r.ok()) {
      return ParseResult::fail("tower floor truncated");
    }
    f.lhs.assign(lhs.begin(), lhs.end());
    f.rhs.assign(rhs.begin(), rhs.end());
    t.floors.push_back(std::move(f));
  }
  if (r.remaining() != 0) {
    return ParseResult::fail("bytes after the last tower floor");
  }
  out = std::move(t);
  return ParseResult::done(octets.size());
}

std::optional<Bytes> encodeTower(const Tower& tower) {
  if (tower.floors.size() > 0xffff) {
    return std::nullopt;
  }
  Bytes out;
  ByteWriter w(out, Endian::Little);
  w.u16(static_cast<uint16_t>(tower.floors.size()));
  for (const Floor& f : tower.floors) {
    if (!putSide(w, f.lhs) || !putSide(w, f.rhs)) {
      return std::nullopt;
    }
  }
  return out;
}

Floor uuidFloor(const SyntaxId& id) {
  Floor f;
  ByteWriter l(f.lhs, Endian::Little);
  l.u8(static_cast<uint8_t>(ProtocolId::Uuid));
  id.uuid.write(l);
  l.u16(id.versionMajor);
  ByteWriter r(f.rhs, Endian::Little);
  r.u16(id.versionMinor);
  return f;
}

Floor protocolFloor(ProtocolId id, uint16_t minorVersion) {
  Floor f;
  f.lhs.push_back(static_cast<uint8_t>(id));
  ByteWriter r(f.rhs, Endian::Little);
  r.u16(minorVersion);
  return f;
}

Floor tcpPortFloor(uint16_t port) {
  Floor f;
  f.lhs.push_back(static_cast<uint8_t>(ProtocolId::TcpPort));
  ByteWriter r(f.rhs, Endian::Big);
  r.u16(port);
  return f;
}

Floor ipv4Floor(const Ipv4& address) {
  Floor f;
  f.lhs.push_back(static_cast<uint8_t>(ProtocolId::Ipv4Address));
  f.rhs.assign(address.begin(), address.end());
  return f;
}

Tower tcpIpTower(const SyntaxId& interfaceId, const SyntaxId& transferSyntax, uint16_t port,
                 const Ipv4& address) {
  Tower t;
  t.floors.push_back(uuidFloor(interfaceId));
  t.floors.push_back(uuidFloor(transferSyntax));
  t.floors.push_back(protocolFloor(ProtocolId::RpcConnectionOriented));
  t.floors.push_back(tcpPortFloor(port));
  t.floors.push_back(ipv4Floor(address));
  return t;
}

std::optional<SyntaxId> uuidFloorSyntax(const Floor& f) {
  if (f.protocolId() != static_cast<uint8_t>(ProtocolId::Uuid) || f.lhs.size() != 19 ||
      f.rhs.size() != 2) {
    return std::nullopt;
  }
  ByteReader l(f.lhs, Endian::Little);
  l.skip(1);
  SyntaxId id;
  id.uuid = Uuid::read(l);
  id.versionMajor = l.u16();
  ByteReader r(f.rhs, Endian::Little);
  id.versionMinor = r.u16();
  return id;
}

std::optional<uint16_t> tcpPort(const Floor& f) {
  if (f.protocolId() != static_cast<uint8_t>(ProtocolId::TcpPort) || f.lhs.size() != 1 ||
      f.rhs.size() != 2) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(f.rhs[0] << 8 | f.rhs[1]);
}

std::optional<Ipv4> ipv4Address(const Floor& f) {
  if (f.protocolId() != static_cast<uint8_t>(ProtocolId::Ipv4Address) || f.lhs.size() != 1 ||
      f.rhs.size() != 4) {
    return std::nullopt;
  }
  return Ipv4{f.rhs[0], f.rhs[1], f.rhs[2], f.rhs[3]};
}

std::string Endpoint::addressString() const {
  return std::to_string(address[0]) + "." + std::to_string(address[1]) + "." +
         std::to_string(address[2]) + "." + std::to_string(address[3]) + ":" + std::to_string(port);
}

std::optional<Endpoint> endpointOf(const Tower& tower) {
  if (tower.floors.empty()) {
    return std::nullopt;
  }
  auto iface = uuidFloorSyntax(tower.floors[0]);
  if (!iface) {
    return std::nullopt;
  }
  std::optional<uint16_t> port;
  std::optional<Ipv4> address;
  for (size_t i = 1; i < tower.floors.size(); ++i) {
    if (!port) {
      port = tcpPort(tower.floors[i]);
    }
    if (!address) {
      address = ipv4Address(tower.floors[i]);
    }
  }
  if (!port || !address) {
    return std::nullopt;
  }
  return Endpoint{*iface, *address, *port};
}

}  // namespace bh::mapi::epm
