#pragma once

// The MAPI connections this edge accelerates, by association group (MS-RPCE 3.3.1.5.6): an
// Outlook session's EMSMDB connections (main, bulk) and its AsyncEMSMDB connection share one
// assoc_group_id, and what one of them does (writes, releases, a hand-off) concerns the
// others. A group is named by client address, server address and assoc_group_id: the id is
// the server's, so two servers may hand out the same one.
//
// Pure bookkeeping (no flows, no sockets): members are connection ids, so the daemon asks
// "who else is in this session" in O(group), not by walking every flow.

#include <cstdint>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

#include "common/ip_address.h"
#include "mapi/mapi_ao/hand_off_reason.h"

namespace bh::mapi::mapi_ao {

struct MapiAssociationGroupKey {
  IpAddress client;
  IpAddress server;
  uint32_t assocGroupId = 0;

  auto operator<=>(const MapiAssociationGroupKey&) const = default;
};

class MapiAssociationGroups {
 public:
  /// `connId` is bound into `key`'s group (the server's bind_ack named it). A connection is in
  /// at most one group; joining again moves it.
  void join(uint64_t connId, const MapiAssociationGroupKey& key);
  /// The connection ended. When it was the group's last, the group is forgotten, and with it
  /// any generic-AO verdict on it (a later group with the same id is a new session).
  void leave(uint64_t connId);

  /// Some connection of this group was bound here (so a newcomer did not escape to another
  /// edge/core pair).
  bool known(const MapiAssociationGroupKey& key) const;
  /// The group's connections other than `connId`, in join order.
  std::vector<uint64_t> othersOf(uint64_t connId) const;
  std::optional<MapiAssociationGroupKey> groupOf(uint64_t connId) const;

  /// The session was given up (an unsupported client, Exchange to Exchange): every connection
  /// of it, now and to come, goes to the generic AO. Only for a known group.
  void markGeneric(const MapiAssociationGroupKey& key, HandOffReason reason);
  std::optional<HandOffReason> genericReason(const MapiAssociationGroupKey& key) const;

  size_t groupCount() const { return groups_.size(); }
  size_t connectionCount() const { return groupOf_.size(); }

 private:
  struct Group {
    std::vector<uint64_t> members;
    std::optional<HandOffReason> generic;
  };
  // Bounded by the connections themselves: a group exists only while it has a member, and
  // every member is a live, admitted flow.
  std::map<MapiAssociationGroupKey, Group> groups_;
  std::map<uint64_t, MapiAssociationGroupKey> groupOf_;
};

}  // namespace bh::mapi::mapi_ao
