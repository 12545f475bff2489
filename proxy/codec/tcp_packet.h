#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/bytes.h"

namespace bh::proxy::codec {

/// Where the TCP header sits in a whole IP packet as NFQUEUE hands it to userspace (no link
/// header). Offsets are from the first byte of the IP header.
struct TcpPacketLayout {
  uint8_t ipVersion = 0;       ///< 4 or 6
  size_t ipHeaderLength = 0;   ///< IPv4: IHL*4 (RFC 791 3.1); IPv6: the 40-byte fixed header
  size_t tcpHeaderLength = 0;  ///< Data Offset*4 (RFC 9293 3.1)
  size_t packetLength = 0;     ///< IPv4 Total Length; IPv6 40 + Payload Length

  size_t tcpOffset() const { return ipHeaderLength; }
  size_t optionsOffset() const { return ipHeaderLength + kTcpFixedHeaderLength; }
  size_t optionsLength() const { return tcpHeaderLength - kTcpFixedHeaderLength; }
  size_t segmentLength() const { return packetLength - ipHeaderLength; }

  static constexpr size_t kTcpFixedHeaderLength = 20;
  /// Data Offset is 4 bits of 32-bit words: at most 60 header bytes, 40 of options.
  static constexpr size_t kTcpMaxOptionsLength = 40;
};

enum class PacketStatus {
  Ok,          ///< an IPv4 or IPv6 packet carrying one whole TCP header
  NotHandled,  ///< well-formed but not ours to touch (not TCP, fragment, IPv6 extension header)
  Malformed,   ///< lengths do not add up; never rewrite it
};

struct PacketParse {
  PacketStatus status = PacketStatus::Malformed;
  TcpPacketLayout layout;
  std::string error;  ///< why (NotHandled / Malformed); never contains packet bytes
};

/// Locates the TCP header in a whole IP packet, checking every length field against the buffer.
/// @param packet the IP packet, first byte = IP version nibble; its size must equal the length
///        the IP header claims (NFQUEUE delivers exactly the packet).
PacketParse parseTcpPacket(ByteSpan packet);

/// TCP checksum over the pseudo-header (RFC 9293 3.1 for IPv4, RFC 8200 8.1 for IPv6) and the
/// segment, taking the checksum field itself as zero. @return the value to store in the field.
uint16_t computeTcpChecksum(ByteSpan packet, const TcpPacketLayout& layout);

/// IPv4 header checksum (RFC 791 3.1) over IHL*4 bytes with the checksum field taken as zero.
uint16_t computeIpv4HeaderChecksum(ByteSpan packet, const TcpPacketLayout& layout);

/// @return true if the packet parses and its IPv4 header checksum (IPv4 only) and TCP checksum
///         are both correct.
bool verifyChecksums(ByteSpan packet);

/// Rewrites the IP length field(s) from layout.packetLength, then both checksums.
void writeLengthsAndChecksums(Bytes& packet, const TcpPacketLayout& layout);

}  // namespace bh::proxy::codec
