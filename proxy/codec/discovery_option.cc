#include "discovery_option.h"

#include <algorithm>

namespace bh::proxy::codec {
namespace {

bool validFormat(const OptionFormat& format) {
  // EOL and NOP are single octets (RFC 9293 3.2); 253/254 are shared among experiments and
  // need an ExID to tell them apart (RFC 6994 section 3).
  if (format.kind <= 1) {
    return false;
  }
  if ((format.kind == 253 || format.kind == 254) && !format.exid) {
    return false;
  }
  return true;
}

bool validRole(uint8_t role) {
  return role == static_cast<uint8_t>(Role::Edge) || role == static_cast<uint8_t>(Role::Core);
}

}  // namespace

bool OptionFormat::matches(ByteSpan option) const {
  if (option.size() < 2 || option[0] != kind) {
    return false;
  }
  if (!exid) {
    return true;
  }
  // An option too short for an ExID is some other (pre-RFC 6994) experiment, not ours.
  return option.size() >= 4 && (option[2] << 8 | option[3]) == *exid;
}

bool encodeDiscoveryOption(const DiscoveryOption& option, const OptionFormat& format, Bytes& out) {
  if (!validFormat(format) || option.version == 0 || option.version > 15 ||
      option.flags > DiscoveryFlags::All || !validRole(static_cast<uint8_t>(option.role))) {
    return false;
  }
  ByteWriter w(out, Endian::Big);
  w.u8(format.kind);
  w.u8(static_cast<uint8_t>(format.encodedLength()));
  if (format.exid) {
    w.u16be(*format.exid);
  }
  w.bytes(option.deviceId.bytes);
  w.u8(static_cast<uint8_t>(option.version << 4 | static_cast<uint8_t>(option.role) << 2 |
                            option.flags));
  w.u8(option.requestedPolicy);
  return true;
}

ParseResult decodeDiscoveryOption(ByteSpan option, const OptionFormat& format,
                                  DiscoveryOption& out) {
  if (!validFormat(format) || !format.matches(option)) {
    return ParseResult::fail("not a discovery option of this format");
  }
  if (option[1] != format.encodedLength() || option.size() != format.encodedLength()) {
    return ParseResult::fail("discovery option has the wrong length");
  }
  ByteReader r(option.subspan(format.exid ? 4 : 2), Endian::Big);
  DiscoveryOption d;
  const ByteSpan id = r.take(d.deviceId.bytes.size());
  const uint8_t packed = r.u8();
  d.requestedPolicy = r.u8();
  if (!r.ok()) {
    return ParseResult::fail("discovery option truncated");
  }
  std::copy(id.begin(), id.end(), d.deviceId.bytes.begin());
  d.version = packed >> 4;
  const uint8_t role = (packed >> 2) & 0x3;
  d.flags = packed & DiscoveryFlags::All;
  if (d.version == 0) {
    return ParseResult::fail("discovery option version 0");
  }
  if (!validRole(role)) {
    return ParseResult::fail("discovery option role unknown");
  }
  d.role = static_cast<Role>(role);
  out = d;
  return ParseResult::done(option.size());
}

}  // namespace bh::proxy::codec
