#include "syn_rewrite.h"

#include "tcp_options.h"
#include "tcp_packet.h"

namespace bh::proxy::codec {
namespace {

constexpr uint8_t kNop = static_cast<uint8_t>(TcpOptionKind::NoOperation);
constexpr size_t kMaxIpLength = 0xffff;

/// A packet whose options were walked successfully and whose checksums are right.
struct Rewritable {
  TcpPacketLayout layout;
  TcpOptionWalk walk;
};

FindResult findIn(ByteSpan packet, const OptionFormat& format, PacketParse& parsed,
                  TcpOptionWalk& walk) {
  parsed = parseTcpPacket(packet);
  if (parsed.status == PacketStatus::NotHandled) {
    return {FindStatus::NotHandled, {}, parsed.error};
  }
  if (parsed.status == PacketStatus::Malformed) {
    return {FindStatus::Malformed, {}, parsed.error};
  }
  const ByteSpan options =
      packet.subspan(parsed.layout.optionsOffset(), parsed.layout.optionsLength());
  walk = walkTcpOptions(options);
  if (!walk.ok) {
    return {FindStatus::Malformed, {}, walk.error};
  }
  // Every copy must decode: a forged second copy would otherwise ride through to the server.
  FindResult found{FindStatus::Absent, {}, {}};
  for (const TcpOption& o : walk.options) {
    const ByteSpan bytes = options.subspan(o.offset, o.length);
    if (o.length < 2 || !format.matches(bytes)) {
      continue;
    }
    DiscoveryOption decoded;
    const ParseResult r = decodeDiscoveryOption(bytes, format, decoded);
    if (!r.ok()) {
      return {FindStatus::Malformed, {}, r.error};
    }
    if (found.status == FindStatus::Absent) {
      found = {FindStatus::Found, decoded, {}};
    }
  }
  return found;
}

/// Parses, walks and checks both checksums; nullopt if the packet must be left alone.
std::optional<Rewritable> rewritable(ByteSpan packet, const OptionFormat& format,
                                     FindStatus& status) {
  PacketParse parsed;
  TcpOptionWalk walk;
  status = findIn(packet, format, parsed, walk).status;
  if (status != FindStatus::Found && status != FindStatus::Absent) {
    return std::nullopt;
  }
  if (!verifyChecksums(packet)) {
    return std::nullopt;
  }
  return Rewritable{parsed.layout, std::move(walk)};
}

/// Rebuilds the packet with a new options area and fixes every length and checksum.
Bytes rebuild(ByteSpan packet, TcpPacketLayout layout, const Bytes& newOptions) {
  const size_t optionsEnd = layout.optionsOffset() + layout.optionsLength();
  Bytes out;
  out.reserve(packet.size() + newOptions.size());
  out.insert(out.end(), packet.begin(), packet.begin() + layout.optionsOffset());
  out.insert(out.end(), newOptions.begin(), newOptions.end());
  out.insert(out.end(), packet.begin() + optionsEnd, packet.end());
  layout.tcpHeaderLength = TcpPacketLayout::kTcpFixedHeaderLength + newOptions.size();
  layout.packetLength = out.size();
  // Data Offset in 32-bit words, keeping the reserved bits of the same octet (RFC 9293 3.1).
  uint8_t& offsetOctet = out[layout.tcpOffset() + 12];
  offsetOctet = static_cast<uint8_t>((layout.tcpHeaderLength / 4) << 4 | (offsetOctet & 0x0f));
  writeLengthsAndChecksums(out, layout);
  return out;
}

}  // namespace

FindResult findOption(ByteSpan packet, const OptionFormat& format) {
  PacketParse parsed;
  TcpOptionWalk walk;
  return findIn(packet, format, parsed, walk);
}

std::optional<Bytes> insertOption(ByteSpan packet, const DiscoveryOption& option,
                                  const OptionFormat& format) {
  FindStatus status;
  const std::optional<Rewritable> r = rewritable(packet, format, status);
  if (!r || status != FindStatus::Absent) {
    return std::nullopt;
  }
  Bytes encoded;
  const size_t padding = (4 - format.encodedLength() % 4) % 4;
  encoded.insert(encoded.end(), padding, kNop);
  if (!encodeDiscoveryOption(option, format, encoded)) {
    return std::nullopt;
  }
  const size_t oldLength = r->layout.optionsLength();
  if (oldLength + encoded.size() > TcpPacketLayout::kTcpMaxOptionsLength ||
      packet.size() + encoded.size() > kMaxIpLength) {
    return std::nullopt;
  }
  const ByteSpan options = packet.subspan(r->layout.optionsOffset(), oldLength);
  Bytes newOptions(options.begin(), options.begin() + r->walk.endOfList);
  newOptions.insert(newOptions.end(), encoded.begin(), encoded.end());
  newOptions.insert(newOptions.end(), options.begin() + r->walk.endOfList, options.end());
  return rebuild(packet, r->layout, newOptions);
}

std::optional<Bytes> stripOption(ByteSpan packet, const OptionFormat& format) {
  FindStatus status;
  const std::optional<Rewritable> r = rewritable(packet, format, status);
  if (!r || status != FindStatus::Found) {
    return std::nullopt;
  }
  const ByteSpan options = packet.subspan(r->layout.optionsOffset(), r->layout.optionsLength());
  Bytes newOptions;
  size_t copied = 0;        // options[0, copied) has been considered
  size_t nopsSinceCut = 0;  // trailing NOPs in newOptions that came after the last removal
  for (const TcpOption& o : r->walk.options) {
    const ByteSpan bytes = options.subspan(o.offset, o.length);
    if (o.length < 2 || !format.matches(bytes)) {
      newOptions.insert(newOptions.end(), bytes.begin(), bytes.end());
      nopsSinceCut = o.kind == kNop ? nopsSinceCut + 1 : 0;
      copied = o.offset + o.length;
      continue;
    }
    // Take back the NOPs insertOption() put in front; if they are not there (another writer),
    // leave Length mod 4 NOPs in the option's place so the area stays a 4-byte multiple.
    const size_t padding = (4 - o.length % 4) % 4;
    if (nopsSinceCut >= padding) {
      newOptions.resize(newOptions.size() - padding);
      nopsSinceCut -= padding;
    } else {
      newOptions.insert(newOptions.end(), o.length % 4, kNop);
      nopsSinceCut = 0;
    }
    copied = o.offset + o.length;
  }
  newOptions.insert(newOptions.end(), options.begin() + copied, options.end());
  return rebuild(packet, r->layout, newOptions);
}

}  // namespace bh::proxy::codec
