#include "redirect/peer_routes.h"

#include <utility>

namespace bh::redirect {

PeerRoutes::PeerRoutes(Settings settings)
    : settings_(settings), cache_(settings.maxEntries, settings.refreshNs) {}

int PeerRoutes::open() {
  return netlink_.open();
}

void PeerRoutes::prepare(const IpAddress& peer, uint64_t nowNs) {
  if (settings_.initialWindowSegments == 0 || !netlink_.isOpen()) {
    return;
  }
  PeerRouteCache::Step step = cache_.use(peer, nowNs);
  if (step.evict) {
    std::string why;
    // Already gone (flushed by hand) is fine: the entry is out of the table either way.
    netlink_.remove(settings_.table, *step.evict, why);
    ++counters_.evicted;
  }
  switch (step.action) {
    case PeerRouteCache::Action::None:
      return;
    case PeerRouteCache::Action::Install:
      if (install(peer)) {
        ++counters_.installed;
      }
      return;
    case PeerRouteCache::Action::Refresh:
      if (install(peer)) {
        ++counters_.refreshed;
      }
      return;
  }
}

bool PeerRoutes::install(const IpAddress& peer) {
  std::string why;
  auto path = netlink_.resolve(peer, why);
  PeerHostRoute route;
  if (path) {
    route.table = settings_.table;
    route.via = *path;
    route.initialWindowSegments = settings_.initialWindowSegments;
  }
  if (!path || !netlink_.replace(route, why)) {
    // No copy: the leg uses the box's own route (the lookup falls through our table). A stale
    // copy must not outlive a path the kernel no longer has.
    std::string ignored;
    netlink_.remove(settings_.table, peer, ignored);
    // The entry stays: this peer is tried again at its next refresh, not on every new flow.
    ++counters_.failed;
    error_ = "peer route to " + peer.toString() + ": " + why;
    return false;
  }
  return true;
}

void PeerRoutes::removeAll() {
  std::string why;
  for (const auto& peer : cache_.peers()) {
    netlink_.remove(settings_.table, peer, why);
  }
  cache_.clear();
}

std::string PeerRoutes::takeError() {
  return std::exchange(error_, {});
}

}  // namespace bh::redirect
