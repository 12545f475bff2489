#include "tcp_packet.h"

#include "internet_checksum.h"

namespace bh::proxy::codec {
namespace {

constexpr uint8_t kIpProtocolTcp = 6;
constexpr size_t kIpv4MinHeader = 20;
constexpr size_t kIpv6Header = 40;
constexpr size_t kIpv4ChecksumAt = 10;
constexpr size_t kTcpChecksumAt = 16;  // within the TCP header

PacketParse notHandled(std::string why) {
  return {PacketStatus::NotHandled, {}, std::move(why)};
}
PacketParse malformed(std::string why) {
  return {PacketStatus::Malformed, {}, std::move(why)};
}

uint16_t readU16(ByteSpan p, size_t at) {
  return static_cast<uint16_t>(p[at] << 8 | p[at + 1]);
}

void writeU16(Bytes& p, size_t at, uint16_t v) {
  p[at] = static_cast<uint8_t>(v >> 8);
  p[at + 1] = static_cast<uint8_t>(v);
}

PacketParse parseIpv4(ByteSpan packet) {
  ByteReader r(packet, Endian::Big);
  const uint8_t versionIhl = r.u8();
  r.skip(1);  // DSCP/ECN
  const uint16_t totalLength = r.u16be();
  r.skip(2);  // Identification
  const uint16_t flagsFragment = r.u16be();
  r.skip(1);  // TTL
  const uint8_t protocol = r.u8();
  if (!r.ok()) {
    return malformed("ipv4 header truncated");
  }
  const size_t ihl = static_cast<size_t>(versionIhl & 0x0f) * 4;
  if (ihl < kIpv4MinHeader || ihl > packet.size()) {
    return malformed("ipv4 IHL out of range");
  }
  if (totalLength != packet.size()) {
    return malformed("ipv4 Total Length disagrees with the packet size");
  }
  // A fragment carries either no TCP header or only part of one (RFC 791 2.3 MF / offset).
  if ((flagsFragment & 0x3fff) != 0) {
    return notHandled("ipv4 fragment");
  }
  if (protocol != kIpProtocolTcp) {
    return notHandled("not TCP");
  }
  PacketParse out{PacketStatus::Ok, {}, {}};
  out.layout.ipVersion = 4;
  out.layout.ipHeaderLength = ihl;
  out.layout.packetLength = totalLength;
  return out;
}

PacketParse parseIpv6(ByteSpan packet) {
  if (packet.size() < kIpv6Header) {
    return malformed("ipv6 header truncated");
  }
  const uint16_t payloadLength = readU16(packet, 4);
  const uint8_t nextHeader = packet[6];
  if (payloadLength == 0) {
    // Zero means a Jumbo Payload option in a hop-by-hop header (RFC 2675); never on a SYN.
    return notHandled("ipv6 jumbogram");
  }
  if (kIpv6Header + payloadLength != packet.size()) {
    return malformed("ipv6 Payload Length disagrees with the packet size");
  }
  // Extension headers (RFC 8200 4) would have to be walked and some change the checksum's
  // destination (Routing); a SYN carrying them is left alone.
  if (nextHeader != kIpProtocolTcp) {
    return notHandled("ipv6 next header is not TCP");
  }
  PacketParse out{PacketStatus::Ok, {}, {}};
  out.layout.ipVersion = 6;
  out.layout.ipHeaderLength = kIpv6Header;
  out.layout.packetLength = packet.size();
  return out;
}

}  // namespace

PacketParse parseTcpPacket(ByteSpan packet) {
  if (packet.empty()) {
    return malformed("empty packet");
  }
  const uint8_t version = packet[0] >> 4;
  PacketParse out;
  if (version == 4) {
    out = parseIpv4(packet);
  } else if (version == 6) {
    out = parseIpv6(packet);
  } else {
    return malformed("IP version is neither 4 nor 6");
  }
  if (out.status != PacketStatus::Ok) {
    return out;
  }
  TcpPacketLayout& l = out.layout;
  if (l.segmentLength() < TcpPacketLayout::kTcpFixedHeaderLength) {
    return malformed("tcp header truncated");
  }
  const size_t dataOffset = static_cast<size_t>(packet[l.tcpOffset() + 12] >> 4) * 4;
  if (dataOffset < TcpPacketLayout::kTcpFixedHeaderLength || dataOffset > l.segmentLength()) {
    return malformed("tcp Data Offset out of range");
  }
  l.tcpHeaderLength = dataOffset;
  return out;
}

uint16_t computeTcpChecksum(ByteSpan packet, const TcpPacketLayout& layout) {
  InternetChecksum sum;
  const size_t segmentLength = layout.segmentLength();
  if (layout.ipVersion == 4) {
    // Pseudo-header: source, destination, zero, PTCL, TCP length (RFC 9293 3.1).
    sum.add(packet.subspan(12, 8));
    sum.addU16(kIpProtocolTcp);
    sum.addU16(static_cast<uint16_t>(segmentLength));
  } else {
    // Pseudo-header: source, destination, upper-layer length (32 bits), zero, next header
    // (RFC 8200 8.1).
    sum.add(packet.subspan(8, 32));
    sum.addU32(static_cast<uint32_t>(segmentLength));
    sum.addU32(kIpProtocolTcp);
  }
  const ByteSpan segment = packet.subspan(layout.tcpOffset(), segmentLength);
  sum.add(segment.first(kTcpChecksumAt));
  sum.add(segment.subspan(kTcpChecksumAt + 2));
  return sum.checksum();
}

uint16_t computeIpv4HeaderChecksum(ByteSpan packet, const TcpPacketLayout& layout) {
  InternetChecksum sum;
  sum.add(packet.first(kIpv4ChecksumAt));
  sum.add(packet.subspan(kIpv4ChecksumAt + 2, layout.ipHeaderLength - kIpv4ChecksumAt - 2));
  return sum.checksum();
}

bool verifyChecksums(ByteSpan packet) {
  const PacketParse parsed = parseTcpPacket(packet);
  if (parsed.status != PacketStatus::Ok) {
    return false;
  }
  const TcpPacketLayout& l = parsed.layout;
  if (l.ipVersion == 4 &&
      computeIpv4HeaderChecksum(packet, l) != readU16(packet, kIpv4ChecksumAt)) {
    return false;
  }
  return computeTcpChecksum(packet, l) == readU16(packet, l.tcpOffset() + kTcpChecksumAt);
}

void writeLengthsAndChecksums(Bytes& packet, const TcpPacketLayout& layout) {
  if (layout.ipVersion == 4) {
    writeU16(packet, 2, static_cast<uint16_t>(layout.packetLength));
    writeU16(packet, kIpv4ChecksumAt, computeIpv4HeaderChecksum(packet, layout));
  } else {
    writeU16(packet, 4, static_cast<uint16_t>(layout.packetLength - kIpv6Header));
  }
  writeU16(packet, layout.tcpOffset() + kTcpChecksumAt, computeTcpChecksum(packet, layout));
}

}  // namespace bh::proxy::codec
