#include "internet_checksum.h"

namespace bh::proxy::codec {

void InternetChecksum::add(ByteSpan bytes) {
  for (uint8_t b : bytes) {
    sum_ += odd_ ? b : static_cast<uint64_t>(b) << 8;
    odd_ = !odd_;
  }
}

void InternetChecksum::addU16(uint16_t v) {
  const uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  add(b);
}

void InternetChecksum::addU32(uint32_t v) {
  addU16(static_cast<uint16_t>(v >> 16));
  addU16(static_cast<uint16_t>(v));
}

uint16_t InternetChecksum::checksum() const {
  // Fold the carries back in (end-around carry, RFC 1071 section 1 step (2)). An odd trailing
  // byte was already added as the high half of a zero-padded word.
  uint64_t s = sum_;
  while (s >> 16) {
    s = (s & 0xffff) + (s >> 16);
  }
  return static_cast<uint16_t>(~s);
}

}  // namespace bh::proxy::codec
