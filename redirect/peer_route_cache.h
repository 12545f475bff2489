#pragma once

// Which peer routes the box holds (PeerRoutes): one host route per peer address, each checked
// against the box's own routing again after `refreshNs`, at most `maxEntries` of them (the one
// used longest ago goes first). Pure bookkeeping: no netlink, so the caps are unit-tested.

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <vector>

#include "common/ip_address.h"

namespace bh::redirect {

class PeerRouteCache {
 public:
  enum class Action {
    None,     ///< the route is there and fresh
    Install,  ///< no route yet for this peer
    Refresh,  ///< the route is old: look the path up again and replace it
  };
  struct Step {
    Action action = Action::None;
    /// A route to delete first: the table is full and this one was used longest ago.
    std::optional<IpAddress> evict;
  };

  PeerRouteCache(size_t maxEntries, uint64_t refreshNs);

  /// A peer leg to `peer` is about to start at `nowNs`: what to do with its route. The entry
  /// counts as checked from here on, whether or not installing works (a failing peer is tried
  /// again at its next refresh, not on every flow).
  Step use(const IpAddress& peer, uint64_t nowNs);
  void clear();
  size_t size() const { return entries_.size(); }
  size_t capacity() const { return max_; }
  /// Most recently used first.
  std::vector<IpAddress> peers() const;

 private:
  struct Entry {
    uint64_t checkedNs = 0;
    std::list<IpAddress>::iterator lru;
  };
  size_t max_;
  uint64_t refreshNs_;
  std::list<IpAddress> lru_;  // front: most recently used
  std::map<IpAddress, Entry> entries_;
};

}  // namespace bh::redirect
