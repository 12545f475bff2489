#include "peer_messages.h"

namespace bh::proxy::codec {

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
