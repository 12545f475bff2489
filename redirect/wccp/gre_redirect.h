#pragma once

// GRE as WCCPv2 redirects with it (draft-wilson-wccp-v2-12-oct-2001, 4.12; RFC 1701): a 4-byte
// GRE header with no flags and protocol type 0x883E, a 4-byte WCCP redirect header (flags,
// service id, alternate and primary bucket), then the original IPv4 packet unchanged: 28 bytes
// over the packet with the outer IPv4 header.
//
// The redirect header's flag bits: the draft draws D (dynamic service) and A (alternate bucket)
// as the top bits of the first octet, Wireshark reads them as 0x01 and 0x02 (verified with tshark
// 4.0.17, ../shared/references/wccp-and-tproxy.md). We write Wireshark's layout, our independent
// check, and when reading rely only on the service id and the buckets. A header whose first
// nibble is 4 is no redirect header but the inner IPv4 packet itself (WCCPv1, and a null return
// header), as the Linux and FreeBSD GRE demultiplexers read it.

#include <cstdint>

#include "common/bytes.h"
#include "common/parse_result.h"

namespace bh::redirect::wccp {

inline constexpr uint16_t kGreProtocolWccp = 0x883e;
inline constexpr size_t kGreBytes = 4;
inline constexpr size_t kRedirectHeaderBytes = 4;
/// Outer IPv4 (20) + GRE (4) + redirect header (4): what the path MTU loses (issue 19: MSS
/// clamped by this much).
inline constexpr size_t kGreRedirectOverhead = 28;

struct RedirectHeader {
  bool dynamicService = false;   ///< D
  bool alternateBucket = false;  ///< A: the alternate hash chose the box
  uint8_t serviceId = 0;
  uint8_t alternateBucketIndex = 0;
  uint8_t primaryBucketIndex = 0;
  bool operator==(const RedirectHeader&) const = default;
};

/// A decoded GRE payload (what follows the outer IPv4 header).
struct GreRedirect {
  /// False for a WCCPv1-style packet with no redirect header.
  bool hasRedirectHeader = false;
  RedirectHeader header;
  /// The original IPv4 packet, exactly its total length (link padding after it dropped).
  ByteSpan inner;
};

/// Reads GRE + redirect header + inner IPv4 packet. Errors name what is wrong: GRE flags or
/// version set (checksum, key, sequence, source routing are not used by WCCP), another protocol
/// type, a truncated header, an inner packet that is not IPv4 or is shorter than it says.
ParseResult decodeGreRedirect(ByteSpan grePayload, GreRedirect& out);

/// GRE header + redirect header + `inner` (no outer IPv4 header).
Bytes encodeGreRedirect(const RedirectHeader& header, ByteSpan inner);

}  // namespace bh::redirect::wccp
