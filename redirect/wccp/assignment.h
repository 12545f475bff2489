#pragma once

// What the designated web cache hands the routers (draft-wilson-wccp-v2-12-oct-2001, 4.9-4.10):
// who is designated (the lowest address, as the draft recommends), and the assignment itself -
// the 256 hash buckets in one contiguous block per box, sized by weight, or mask/value sets that
// key on the client's address. Pure functions: the service group (service_group.h) calls them
// with what the routers' views say.

#include <cstdint>
#include <optional>
#include <vector>

#include "redirect/wccp/wccp_components.h"

namespace bh::redirect::wccp {

/// A web cache as the designated one sees it: its address and assignment weight.
struct WebCacheMember {
  uint32_t address = 0;
  uint16_t weight = 10000;
};

/// The designated web cache: the lowest address (numerically, host order), or nullopt.
std::optional<uint32_t> designatedWebCache(const std::vector<uint32_t>& caches);

/// 256 buckets over `caches` (sorted by address, as the web-cache index list), each cache's
/// share proportional to its weight (a weight of 0 gets none; all 0: equal shares). Every
/// bucket is assigned when there is at least one cache.
/// Without `previous`: one contiguous block per cache. With it (the assignment in force), the
/// buckets of caches that stay keep their cache as far as the new shares allow, so a membership
/// change moves only the flows it must: a box that leaves gives its buckets to the others, a box
/// that joins takes its share from the others' surplus; the flows of everyone else stay put.
HashAssignment buildHashAssignment(const AssignmentKey& key,
                                   const std::vector<RouterAssignment>& routers,
                                   std::vector<WebCacheMember> caches,
                                   const HashAssignment* previous = nullptr);

/// One mask/value set over the client's address: `addressMask` applied to the source address
/// (clientIsSource, service 61: client to server) or to the destination (62: server to client),
/// every combination of its bits one value, spread over `caches` round-robin by address order.
/// At most 7 mask bits (128 values). nullopt when the mask has more bits or there is no cache.
std::optional<MaskAssignment> buildMaskAssignment(const AssignmentKey& key,
                                                  const std::vector<RouterAssignment>& routers,
                                                  std::vector<WebCacheMember> caches,
                                                  uint32_t addressMask, bool clientIsSource);

}  // namespace bh::redirect::wccp
