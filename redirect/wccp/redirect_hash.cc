#include "redirect/wccp/redirect_hash.h"

namespace bh::redirect::wccp {

uint8_t bucketOf(const PacketFields& packet, uint32_t serviceFlags, bool alternate) {
  using namespace service_flags;
  const uint32_t f = alternate ? serviceFlags >> 8 : serviceFlags;  // alternates sit 8 bits up
  uint32_t key = 0;
  if ((f & 0xf) == kDstIpHash) {
    key = packet.dstAddr;
  } else {
    if (f & kSrcIpHash) {
      key ^= packet.srcAddr;
    }
    if (f & kDstIpHash) {
      key ^= packet.dstAddr;
    }
    if (f & kSrcPortHash) {
      key ^= packet.srcPort;
    }
    if (f & kDstPortHash) {
      key ^= packet.dstPort;
    }
  }
  uint32_t hash = key;
  hash ^= hash >> 16;
  hash ^= hash >> 8;
  return static_cast<uint8_t>(hash & 0xff);
}

std::optional<uint32_t> maskMatch(const PacketFields& packet,
                                  const std::vector<MaskValueSet>& sets) {
  for (const auto& set : sets) {
    const MaskElement& m = set.mask;
    const uint32_t src = packet.srcAddr & m.srcAddrMask;
    const uint32_t dst = packet.dstAddr & m.dstAddrMask;
    const uint16_t sport = packet.srcPort & m.srcPortMask;
    const uint16_t dport = packet.dstPort & m.dstPortMask;
    for (const auto& v : set.values) {
      if (v.srcAddr == src && v.dstAddr == dst && v.srcPort == sport && v.dstPort == dport) {
        return v.webCache;
      }
    }
  }
  return std::nullopt;
}

}  // namespace bh::redirect::wccp
