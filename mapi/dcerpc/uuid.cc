#include "mapi/dcerpc/uuid.h"

#include <cstdio>

namespace bh::mapi::dcerpc {
namespace {

int hexDigit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool isDashPosition(size_t i) {
  return i == 8 || i == 13 || i == 18 || i == 23;
}

}  // namespace

std::optional<Uuid> Uuid::parse(std::string_view text) {
  if (text.size() != 36) {
    return std::nullopt;
  }
  std::array<uint8_t, 16> out{};
  size_t nibble = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (isDashPosition(i)) {
      if (text[i] != '-') {
        return std::nullopt;
      }
      continue;
    }
    int d = hexDigit(text[i]);
    if (d < 0) {
      return std::nullopt;
    }
    out[nibble / 2] = static_cast<uint8_t>(out[nibble / 2] | (d << (nibble % 2 == 0 ? 4 : 0)));
    ++nibble;
  }
  return Uuid(out);
}

Uuid Uuid::read(ByteReader& r) {
  std::array<uint8_t, 16> out{};
  uint32_t timeLow = r.u32();
  uint16_t timeMid = r.u16();
  uint16_t timeHi = r.u16();
  ByteSpan rest = r.take(8);
  for (int i = 0; i < 4; ++i) {
    out[i] = static_cast<uint8_t>(timeLow >> (24 - 8 * i));
  }
  out[4] = static_cast<uint8_t>(timeMid >> 8);
  out[5] = static_cast<uint8_t>(timeMid);
  out[6] = static_cast<uint8_t>(timeHi >> 8);
  out[7] = static_cast<uint8_t>(timeHi);
  for (size_t i = 0; i < rest.size(); ++i) {
    out[8 + i] = rest[i];
  }
  return Uuid(out);
}

void Uuid::write(ByteWriter& w) const {
  const auto& b = bytes_;
  w.u32(static_cast<uint32_t>(b[0]) << 24 | static_cast<uint32_t>(b[1]) << 16 |
        static_cast<uint32_t>(b[2]) << 8 | b[3]);
  w.u16(static_cast<uint16_t>(b[4] << 8 | b[5]));
  w.u16(static_cast<uint16_t>(b[6] << 8 | b[7]));
  w.bytes(ByteSpan(b.data() + 8, 8));
}

std::string Uuid::toString() const {
  char buf[37];
  const auto& b = bytes_;
  std::snprintf(buf, sizeof(buf),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return buf;
}

bool Uuid::isNil() const {
  for (uint8_t b : bytes_) {
    if (b != 0) {
      return false;
    }
  }
  return true;
}

SyntaxId SyntaxId::read(ByteReader& r) {
  SyntaxId s;
  s.uuid = Uuid::read(r);
  uint32_t version = r.u32();
  s.versionMajor = static_cast<uint16_t>(version & 0xffff);
  s.versionMinor = static_cast<uint16_t>(version >> 16);
  return s;
}

void SyntaxId::write(ByteWriter& w) const {
  uuid.write(w);
  w.u32(static_cast<uint32_t>(versionMinor) << 16 | versionMajor);
}

std::string SyntaxId::toString() const {
  return uuid.toString() + " v" + std::to_string(versionMajor) + "." + std::to_string(versionMinor);
}

}  // namespace bh::mapi::dcerpc
