#pragma once

// Which box a redirected packet goes to (draft-wilson-wccp-v2-12-oct-2001): the primary bucket
// of the redirection hash table (5.6.2, "Service Flags") or the first matching mask/value
// element (5.7.6-5.7.8). Used by the router simulator to redirect and by the agent to show and
// check its own assignment.

#include <cstdint>
#include <optional>
#include <vector>

#include "redirect/wccp/wccp_components.h"

namespace bh::redirect::wccp {

/// The fields of a packet the service flags and masks look at (IPv4, host order).
struct PacketFields {
  uint32_t srcAddr = 0;
  uint32_t dstAddr = 0;
  uint16_t srcPort = 0;
  uint16_t dstPort = 0;
};

/// 5.6.2: the key is the destination address when only the destination-IP hash flag is set,
/// otherwise the XOR of the flagged fields; then hash ^= hash >> 16; hash ^= hash >> 8; & 0xFF.
/// `alternate`: use the alternate-hash flags (0x100-0x800) instead of the primary ones.
uint8_t bucketOf(const PacketFields& packet, uint32_t serviceFlags, bool alternate = false);

/// The web cache the first matching value element names, or nullopt when no set matches (the
/// packet is forwarded normally, 5.6.10).
std::optional<uint32_t> maskMatch(const PacketFields& packet,
                                  const std::vector<MaskValueSet>& sets);

}  // namespace bh::redirect::wccp
