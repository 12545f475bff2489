#pragma once

// TFO's large initial window on peer legs. Linux has no per-socket initial congestion window:
// it comes from the route (RTAX_INITCWND). So the box keeps a table of its own with one host
// route per peer address - a copy of the path the kernel's lookup takes, plus the initial
// window - and the interception rules (redirect/interception.cc) send only our peer-leg
// sockets' lookups there (fwmark kOutDiscover on the edge, kPeerReply on the core's accepted
// legs). Nothing else on the router sees these routes; a lookup that finds no entry falls
// through to the box's own rules. Each copy is checked against the kernel's lookup again after
// a while, so a changed path is followed.
//
// Why: a cold 10 MiB download over 100 Mbit/s and 100 ms RTT spent its first half second in
// slow start (10 segments doubling per round trip) on every new peer connection.

#include <cstdint>
#include <string>

#include "redirect/peer_route_cache.h"
#include "redirect/route_netlink.h"

namespace bh::redirect {

struct PeerRouteCounters {
  uint64_t installed = 0;
  uint64_t refreshed = 0;
  uint64_t evicted = 0;
  uint64_t failed = 0;
};

class PeerRoutes {
 public:
  struct Settings {
    uint32_t table = 28;
    uint32_t initialWindowSegments = 0;
    size_t maxEntries = 4096;
    uint64_t refreshNs = 30ull * 1000 * 1000 * 1000;
  };
  explicit PeerRoutes(Settings settings);

  /// Opens the netlink socket; 0 or -errno.
  int open();
  /// A peer leg to or from `peer` is about to be set up: make sure its route is in place.
  /// Never fails the flow: without a route the leg simply starts with the kernel's window.
  void prepare(const IpAddress& peer, uint64_t nowNs);
  /// Deletes every route this box installed (on stop; the rules' teardown flushes the table too).
  void removeAll();

  const Settings& settings() const { return settings_; }
  const PeerRouteCounters& counters() const { return counters_; }
  size_t size() const { return cache_.size(); }
  /// The last failure, for the log (empty: none since the last call).
  std::string takeError();

 private:
  bool install(const IpAddress& peer);

  Settings settings_;
  PeerRouteCache cache_;
  RouteNetlink netlink_;
  PeerRouteCounters counters_;
  std::string error_;
};

}  // namespace bh::redirect
