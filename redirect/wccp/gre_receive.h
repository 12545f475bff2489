#pragma once

// What a box does with one datagram of its raw IPPROTO_GRE socket (redirect/wccp_agent.h): the
// outer IPv4 header, GRE 0x883E and the redirect header checked and stripped, and only a router
// of a service group believed - a GRE packet from anyone else would put arbitrary traffic into
// the TPROXY path with any source address it likes. Pure, so each refusal is unit-tested.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace bh::redirect::wccp {

enum class GreDrop {
  None,           ///< accepted: `inner` goes to the TUN
  Malformed,      ///< not IPv4, or not GRE 0x883E + an IPv4 packet (`why` says what)
  UnknownRouter,  ///< the outer source is no router of a service group
  OtherService,   ///< a redirect header naming a service this box is not in
};

struct GreReceived {
  GreDrop drop = GreDrop::Malformed;
  uint32_t source = 0;  ///< the outer source address (host order), once read
  ByteSpan inner;       ///< the client's packet, unchanged
  std::string why;
};

/// @param datagram what the raw socket read: the outer IPv4 header first
/// @param isRouter whether an address is a router of one of the box's service groups
/// @param services the ids of those service groups
GreReceived receiveGre(ByteSpan datagram, const std::function<bool(uint32_t)>& isRouter,
                       const std::vector<uint8_t>& services);

}  // namespace bh::redirect::wccp
