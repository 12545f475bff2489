#pragma once

// `show statistics peer-routes` and `show statistics auto-discovery`: how this box finds its
// peers and starts its peer legs. Rendered from plain data (no sockets), one "key: value" line
// per JSON field in key order.

#include <cstdint>
#include <nlohmann/json.hpp>

#include "proxy/discovery/nfqueue_handler.h"
#include "redirect/peer_routes.h"

namespace bh::proxy {

/// What the running peer routes carry (fixed at start, not what a reloaded config says).
struct PeerRoutesView {
  uint32_t initialWindowSegments = 0;  ///< 0: no peer routes
  uint32_t routeTable = 0;
  size_t routes = 0;
  redirect::PeerRouteCounters counters;
};

nlohmann::json showStatisticsPeerRoutes(const PeerRoutesView& view);
nlohmann::json showStatisticsAutoDiscovery(const DiscoveryCounters& counters);

}  // namespace bh::proxy
