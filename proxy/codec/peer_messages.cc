#include "peer_messages.h"

namespace bh::proxy::codec {

bool encodeAoMessage(const AoMessage& message, Bytes& out) {
  const auto id = static_cast<uint8_t>(message.accelerator);
  if (!isKnownAccelerator(id) || message.accelerator == Accelerator::None) {
    return false;
  }
  ByteWriter w(out, Endian::Big);
  w.u8(id);
  w.bytes(message.body);
  return true;
}

ParseResult decodeAoMessage(ByteSpan payload, AoMessage& out) {
  ByteReader r(payload, Endian::Big);
  const uint8_t id = r.u8();
  if (!r.ok()) {
    return ParseResult::fail("ao message empty");
  }
  if (!isKnownAccelerator(id) || id == static_cast<uint8_t>(Accelerator::None)) {
    return ParseResult::fail("ao message for an unknown accelerator");
  }
  const ByteSpan body = r.take(r.remaining());
  out.accelerator = static_cast<Accelerator>(id);
  out.body.assign(body.begin(), body.end());
  return ParseResult::done(payload.size());
}

bool encodeReset(uint16_t reason, Bytes& out) {
  ByteWriter w(out, Endian::Big);
  w.u16be(reason);
  return true;
}

ParseResult decodeReset(ByteSpan payload, uint16_t& reason) {
  if (payload.size() != 2) {
    return ParseResult::fail("reset payload is not 2 bytes");
  }
  ByteReader r(payload, Endian::Big);
  reason = r.u16be();
  return ParseResult::done(2);
}

}  // namespace bh::proxy::codec
