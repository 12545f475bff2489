#include "redirect/peer_route_cache.h"

#include <algorithm>

namespace bh::redirect {

PeerRouteCache::PeerRouteCache(size_t maxEntries, uint64_t refreshNs)
    : max_(std::max<size_t>(maxEntries, 1)), refreshNs_(refreshNs) {}

PeerRouteCache::Step PeerRouteCache::use(const IpAddress& peer, uint64_t nowNs) {
  Step step;
  auto it = entries_.find(peer);
  if (it != entries_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    if (nowNs - it->second.checkedNs >= refreshNs_) {
      it->second.checkedNs = nowNs;
      step.action = Action::Refresh;
    }
    return step;
  }
  if (entries_.size() >= max_) {
    step.evict = lru_.back();
    entries_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(peer);
  entries_[peer] = Entry{nowNs, lru_.begin()};
  step.action = Action::Install;
  return step;
}

void PeerRouteCache::clear() {
  entries_.clear();
  lru_.clear();
}

std::vector<IpAddress> PeerRouteCache::peers() const {
  return {lru_.begin(), lru_.end()};
}

}  // namespace bh::redirect
