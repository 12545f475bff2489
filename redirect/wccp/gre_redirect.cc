#include "redirect/wccp/gre_redirect.h"

namespace bh::redirect::wccp {

namespace {
// Wireshark's reading of the redirect header's first octet (see the header comment).
constexpr uint8_t kDynamicBit = 0x01;
constexpr uint8_t kAlternateBit = 0x02;
}  // namespace

ParseResult decodeGreRedirect(ByteSpan grePayload, GreRedirect& out) {
  out = GreRedirect{};
  ByteReader r(grePayload, Endian::Big);
  const uint16_t flagsVersion = r.u16be();
  const uint16_t protocol = r.u16be();
  if (!r.ok()) {
    return ParseResult::fail("GRE: shorter than its 4-byte header");
  }
  if (flagsVersion != 0) {
    return ParseResult::fail("GRE: flags/version 0x" + [&] {
      static const char* hex = "0123456789abcdef";
      std::string s;
      for (int shift = 12; shift >= 0; shift -= 4) {
        s += hex[(flagsVersion >> shift) & 0xf];
      }
      return s;
    }() + " (WCCP uses none: no checksum, key, sequence or routing, version 0)");
  }
  if (protocol != kGreProtocolWccp) {
    return ParseResult::fail("GRE: protocol type " + std::to_string(protocol) +
                             ", not WCCP (0x883e)");
  }
  if (r.remaining() == 0) {
    return ParseResult::fail("GRE: no payload");
  }
  if ((grePayload[kGreBytes] >> 4) != 4) {
    const uint8_t flags = r.u8();
    out.header.serviceId = r.u8();
    out.header.alternateBucketIndex = r.u8();
    out.header.primaryBucketIndex = r.u8();
    if (!r.ok()) {
      return ParseResult::fail("GRE: truncated WCCP redirect header");
    }
    out.header.dynamicService = (flags & kDynamicBit) != 0;
    out.header.alternateBucket = (flags & kAlternateBit) != 0;
    out.hasRedirectHeader = true;
  }
  const size_t innerAt = r.offset();
  ByteSpan rest = grePayload.subspan(innerAt);
  if (rest.size() < 20 || (rest[0] >> 4) != 4) {
    return ParseResult::fail("GRE: the redirected packet is not IPv4");
  }
  const size_t ihl = size_t(rest[0] & 0xf) * 4;
  const size_t total = (size_t(rest[2]) << 8) | rest[3];
  if (ihl < 20 || total < ihl || total > rest.size()) {
    return ParseResult::fail("GRE: the redirected IPv4 packet says " + std::to_string(total) +
                             " bytes, " + std::to_string(rest.size()) + " are there");
  }
  out.inner = rest.first(total);
  return ParseResult::done(innerAt + total);
}

Bytes encodeGreRedirect(const RedirectHeader& header, ByteSpan inner) {
  Bytes out;
  out.reserve(kGreBytes + kRedirectHeaderBytes + inner.size());
  ByteWriter w(out, Endian::Big);
  w.u16be(0);
  w.u16be(kGreProtocolWccp);
  w.u8(static_cast<uint8_t>((header.dynamicService ? kDynamicBit : 0) |
                            (header.alternateBucket ? kAlternateBit : 0)));
  w.u8(header.serviceId);
  w.u8(header.alternateBucketIndex);
  w.u8(header.primaryBucketIndex);
  w.bytes(inner);
  return out;
}

}  // namespace bh::redirect::wccp
