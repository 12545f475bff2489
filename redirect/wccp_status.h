#pragma once

// What the WCCP agent (redirect/wccp_agent.h) knows, as plain data for `show wccp` (the
// renderers in proxy/control/show_wccp.cc are pure functions of it).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "redirect/wccp/service_group.h"

namespace bh::redirect {

/// Redirected packets through this box (GRE in, the TUN, returns).
struct WccpGreCounters {
  uint64_t received = 0;           ///< GRE datagrams read from the raw socket
  uint64_t decapsulated = 0;       ///< inner packets handed to the TUN (to the TPROXY rules)
  uint64_t decapsulatedBytes = 0;  ///< their bytes (inner packets)
  uint64_t fromUnknownRouter = 0;  ///< dropped: not from a router of a service group
  uint64_t malformed = 0;          ///< dropped: not GRE 0x883E + IPv4 (named in the log)
  uint64_t otherService = 0;       ///< dropped: a redirect header naming a service not ours
  uint64_t tunWriteErrors = 0;
  /// Accepted, but larger than the box's link MTU: the router fragmented the datagram after
  /// encapsulation (a segment over the clamped MSS: a flow older than the box, a path narrower
  /// than the box's link). Delivered all the same (the kernel reassembled it); named in the log.
  uint64_t overMtu = 0;
  uint64_t returned = 0;  ///< packets the proxy did not take, sent back to the router
  uint64_t returnedBytes = 0;
  uint64_t returnErrors = 0;
  uint64_t l2Received = 0;  ///< L2-forwarded SYNs seen (counted by the nft rule: not here)
};

struct WccpServiceStatus {
  wccp::ServiceInfo service;
  std::vector<wccp::RouterState> routers;
  std::optional<uint32_t> designated;
  /// The members the box sees (the usable routers' views and itself), sorted.
  std::vector<uint32_t> members;
  /// The assignment this box sent (when it is the designated one).
  std::optional<wccp::AltAssignment> assignment;
  wccp::ServiceGroup::Counters counters;
  std::string lastProblem;
  uint16_t weight = 0;
  std::string password;  ///< "MD5" or "none" (never the password)
};

struct WccpStatus {
  bool enabled = false;
  uint32_t self = 0;      ///< this box's address (its web-cache identity)
  std::string interface;  ///< the interface that address is on
  std::string tunnel;     ///< the TUN decapsulated packets are written to
  uint16_t mss = 0;       ///< the MSS redirected connections are clamped to
  uint64_t uptimeMs = 0;
  std::string forwarding, returns, assignment;  ///< configured methods
  std::vector<WccpServiceStatus> services;
  WccpGreCounters gre;
  /// The box's own SYNs that came back in (a router redirects the box's traffic back to it);
  /// each one's flow was reset. The cause and remedy, once one was seen.
  uint64_t redirectLoops = 0;
  std::string redirectLoop;
};

}  // namespace bh::redirect
