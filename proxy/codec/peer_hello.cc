#include "peer_hello.h"

#include <algorithm>
#include <string>

namespace bh::proxy::codec {
namespace {

bool knownRole(uint8_t v) {
  return v == static_cast<uint8_t>(Role::Edge) || v == static_cast<uint8_t>(Role::Core);
}

size_t addressLength(uint8_t ipVersion) {
  return ipVersion == 4 ? 4 : 16;
}

bool validTuple(const FlowTuple& t) {
  if (t.ipVersion != 4 && t.ipVersion != 6) {
    return false;
  }
  auto zeroTail = [&t](const std::array<uint8_t, 16>& a) {
    return std::all_of(a.begin() + static_cast<long>(addressLength(t.ipVersion)), a.end(),
                       [](uint8_t b) { return b == 0; });
  };
  return zeroTail(t.clientIp) && zeroTail(t.serverIp);
}

bool readAddress(ByteReader& r, uint8_t ipVersion, std::array<uint8_t, 16>& out) {
  const ByteSpan a = r.take(addressLength(ipVersion));
  if (!r.ok()) {
    return false;
  }
  std::copy(a.begin(), a.end(), out.begin());
  return true;
}

bool readDeviceId(ByteReader& r, DeviceId& out) {
  const ByteSpan id = r.take(out.bytes.size());
  if (!r.ok()) {
    return false;
  }
  std::copy(id.begin(), id.end(), out.bytes.begin());
  return true;
}

}  // namespace

bool encodeHello(const Hello& hello, Bytes& out) {
  if (!knownRole(static_cast<uint8_t>(hello.role)) ||
      !isKnownAccelerator(static_cast<uint8_t>(hello.acceleratorWanted)) ||
      !validTuple(hello.tuple) || hello.protocolVersion < kOldestPeerProtocolVersion ||
      hello.protocolVersion > kPeerProtocolVersion ||
      (hello.protocolVersion < 2 && hello.wanBandwidthKbit != 0)) {
    return false;
  }
  ByteWriter w(out, Endian::Big);
  const size_t n = addressLength(hello.tuple.ipVersion);
  w.u8(hello.protocolVersion);
  w.u8(static_cast<uint8_t>(hello.role));
  w.bytes(hello.deviceId.bytes);
  w.u8(hello.policy);
  w.u8(static_cast<uint8_t>(hello.acceleratorWanted));
  w.u8(hello.tuple.ipVersion);
  w.bytes(ByteSpan(hello.tuple.clientIp).first(n));
  w.u16be(hello.tuple.clientPort);
  w.bytes(ByteSpan(hello.tuple.serverIp).first(n));
  w.u16be(hello.tuple.serverPort);
  if (hello.protocolVersion >= 2) {
    w.u32be(hello.wanBandwidthKbit);
  }
  return true;
}

ParseResult decodeHello(ByteSpan payload, Hello& out) {
  ByteReader r(payload, Endian::Big);
  Hello h;
  h.protocolVersion = r.u8();
  const uint8_t role = r.u8();
  readDeviceId(r, h.deviceId);
  h.policy = r.u8();
  const uint8_t accelerator = r.u8();
  h.tuple.ipVersion = r.u8();
  if (!r.ok()) {
    return ParseResult::fail("hello truncated");
  }
  if (h.protocolVersion < kOldestPeerProtocolVersion || h.protocolVersion > kPeerProtocolVersion) {
    return ParseResult::fail("hello protocol version " + std::to_string(h.protocolVersion) +
                             " unknown");
  }
  if (!knownRole(role)) {
    return ParseResult::fail("hello role unknown");
  }
  if (!isKnownAccelerator(accelerator)) {
    return ParseResult::fail("hello accelerator unknown");
  }
  if (h.tuple.ipVersion != 4 && h.tuple.ipVersion != 6) {
    return ParseResult::fail("hello ip version unknown");
  }
  readAddress(r, h.tuple.ipVersion, h.tuple.clientIp);
  h.tuple.clientPort = r.u16be();
  readAddress(r, h.tuple.ipVersion, h.tuple.serverIp);
  h.tuple.serverPort = r.u16be();
  if (h.protocolVersion >= 2) {
    h.wanBandwidthKbit = r.u32be();
  }
  if (!r.ok()) {
    return ParseResult::fail("hello truncated");
  }
  if (r.remaining() != 0) {
    return ParseResult::fail("hello has trailing bytes");
  }
  h.role = static_cast<Role>(role);
  h.acceleratorWanted = static_cast<Accelerator>(accelerator);
  out = h;
  return ParseResult::done(payload.size());
}

bool encodeHelloAck(const HelloAck& ack, Bytes& out) {
  if (!knownRole(static_cast<uint8_t>(ack.role)) ||
      !isKnownAccelerator(static_cast<uint8_t>(ack.acceleratorApplied))) {
    return false;
  }
  ByteWriter w(out, Endian::Big);
  w.u8(ack.protocolVersion);
  w.u8(static_cast<uint8_t>(ack.role));
  w.bytes(ack.deviceId.bytes);
  w.u8(ack.policy);
  w.u8(ack.negotiated);
  w.u8(ack.applied);
  w.u8(static_cast<uint8_t>(ack.acceleratorApplied));
  return true;
}

ParseResult decodeHelloAck(ByteSpan payload, HelloAck& out) {
  ByteReader r(payload, Endian::Big);
  HelloAck a;
  a.protocolVersion = r.u8();
  const uint8_t role = r.u8();
  readDeviceId(r, a.deviceId);
  a.policy = r.u8();
  a.negotiated = r.u8();
  a.applied = r.u8();
  const uint8_t accelerator = r.u8();
  if (!r.ok()) {
    return ParseResult::fail("hello-ack truncated");
  }
  if (r.remaining() != 0) {
    return ParseResult::fail("hello-ack has trailing bytes");
  }
  if (!knownRole(role)) {
    return ParseResult::fail("hello-ack role unknown");
  }
  if (!isKnownAccelerator(accelerator)) {
    return ParseResult::fail("hello-ack accelerator unknown");
  }
  a.role = static_cast<Role>(role);
  a.acceleratorApplied = static_cast<Accelerator>(accelerator);
  out = a;
  return ParseResult::done(payload.size());
}

}  // namespace bh::proxy::codec
