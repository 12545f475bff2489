#include "mapi/mapi_ao/association_groups.h"

#include <algorithm>

namespace bh::mapi::mapi_ao {

void MapiAssociationGroups::join(uint64_t connId, const MapiAssociationGroupKey& key) {
  auto it = groupOf_.find(connId);
  if (it != groupOf_.end()) {
    if (it->second == key) {
      return;
    }
    leave(connId);
  }
  groups_[key].members.push_back(connId);
  groupOf_[connId] = key;
}

void MapiAssociationGroups::leave(uint64_t connId) {
  auto it = groupOf_.find(connId);
  if (it == groupOf_.end()) {
    return;
  }
  auto g = groups_.find(it->second);
  groupOf_.erase(it);
  if (g == groups_.end()) {
    return;
  }
  auto& m = g->second.members;
  m.erase(std::remove(m.begin(), m.end(), connId), m.end());
  if (m.empty()) {
    groups_.erase(g);
  }
}

bool MapiAssociationGroups::known(const MapiAssociationGroupKey& key) const {
  return groups_.count(key) != 0;
}

std::vector<uint64_t> MapiAssociationGroups::othersOf(uint64_t connId) const {
  std::vector<uint64_t> others;
  auto it = groupOf_.find(connId);
  if (it == groupOf_.end()) {
    return others;
  }
  auto g = groups_.find(it->second);
  if (g == groups_.end()) {
    return others;
  }
  for (uint64_t id : g->second.members) {
    if (id != connId) {
      others.push_back(id);
    }
  }
  return others;
}

std::optional<MapiAssociationGroupKey> MapiAssociationGroups::groupOf(uint64_t connId) const {
  auto it = groupOf_.find(connId);
  if (it == groupOf_.end()) {
    return std::nullopt;
  }
  return it->second;
}

void MapiAssociationGroups::markGeneric(const MapiAssociationGroupKey& key, HandOffReason reason) {
  auto g = groups_.find(key);
  if (g != groups_.end()) {
    g->second.generic = reason;
  }
}

std::optional<HandOffReason> MapiAssociationGroups::genericReason(
    const MapiAssociationGroupKey& key) const {
  auto g = groups_.find(key);
  if (g == groups_.end()) {
    return std::nullopt;
  }
  return g->second.generic;
}

}  // namespace bh::mapi::mapi_ao
