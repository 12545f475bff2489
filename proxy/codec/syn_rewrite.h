#pragma once

#include <optional>
#include <string>

#include "common/bytes.h"
#include "discovery_option.h"

namespace bh::proxy::codec {

// Pure rewriting of whole IP packets handed over by NFQUEUE (only SYN and SYN-ACK are queued,
// docs/ARCHITECTURE.md "One MAPI flow", step 3). Nothing here keeps state or touches a socket:
// the caller passes the packet, gets the bytes to return with its verdict, or nullopt meaning
// "accept the packet unchanged".

enum class FindStatus {
  Found,       ///< `option` holds the decoded option
  Absent,      ///< a well-formed TCP packet without our option
  NotHandled,  ///< not a packet we look into (not TCP, fragment, IPv6 extension header)
  Malformed,   ///< IP/TCP lengths or the TCP options are broken, or our option is forged
};

struct FindResult {
  FindStatus status = FindStatus::Malformed;
  DiscoveryOption option;
  std::string error;  ///< why (NotHandled / Malformed)
};

/// Looks for the discovery option among the TCP options of `packet` (first one before EOL).
/// Checksums are not verified here; use verifyChecksums() (tcp_packet.h) where it matters.
FindResult findOption(ByteSpan packet, const OptionFormat& format = {});

/// Adds `option` at the end of the TCP option list: at the End of Option List octet if there is
/// one, else after the last option. NOPs pad it in front to a 4-byte multiple, so the option
/// area stays aligned and stripOption() can give back the exact original bytes. Data Offset, the
/// IPv4 Total Length and header checksum (or the IPv6 Payload Length) and the TCP checksum are
/// rewritten.
/// @return the new packet, or nullopt if the packet is not a parsable TCP packet, its checksums
///         are wrong (a corrupt packet is never laundered), it already carries the option, or
///         the options would exceed 40 bytes (RFC 9293 3.1: Data Offset is 4 bits).
std::optional<Bytes> insertOption(ByteSpan packet, const DiscoveryOption& option,
                                  const OptionFormat& format = {});

/// Removes every discovery option of `format` (with the NOPs insertOption() put in front of it)
/// so the server never sees it, shrinking the header and fixing lengths and checksums.
/// @return the new packet, or nullopt if there is nothing to strip or the packet is not one we
///         may rewrite (same reasons as insertOption()).
std::optional<Bytes> stripOption(ByteSpan packet, const OptionFormat& format = {});

}  // namespace bh::proxy::codec
