#include "proxy/discovery/discovery_table.h"

#include <algorithm>
#include <cstring>

namespace bh::proxy {

DiscoveryTable::Key DiscoveryTable::keyOf(const policy::FlowKey& flow) {
  Key k{};
  k[0] = flow.src.isV4() ? 4 : 6;
  std::memcpy(&k[1], flow.src.bytes().data(), 16);
  std::memcpy(&k[17], flow.dst.bytes().data(), 16);
  k[33] = static_cast<uint8_t>(flow.srcPort >> 8);
  k[34] = static_cast<uint8_t>(flow.srcPort);
  k[35] = static_cast<uint8_t>(flow.dstPort >> 8);
  k[36] = static_cast<uint8_t>(flow.dstPort);
  return k;
}

bool DiscoveryTable::put(const policy::FlowKey& flow, DiscoveryEntry entry, uint64_t nowNs) {
  entry.createdNs = nowNs;
  Key k = keyOf(flow);
  auto it = entries_.find(k);
  if (it != entries_.end()) {
    it->second = entry;
    return true;
  }
  bool evicted = false;
  if (entries_.size() >= capacity_) {
    expire(nowNs);
  }
  if (entries_.size() >= capacity_ && !entries_.empty()) {
    auto oldest = std::min_element(entries_.begin(), entries_.end(), [](auto& a, auto& b) {
      return a.second.createdNs < b.second.createdNs;
    });
    entries_.erase(oldest);
    ++evictions_;
    evicted = true;
  }
  entries_.emplace(k, entry);
  return !evicted;
}

DiscoveryEntry* DiscoveryTable::find(const policy::FlowKey& flow, uint64_t nowNs) {
  auto it = entries_.find(keyOf(flow));
  if (it == entries_.end()) {
    return nullptr;
  }
  if (nowNs - it->second.createdNs > lifetimeNs_) {
    entries_.erase(it);
    return nullptr;
  }
  return &it->second;
}

std::optional<DiscoveryEntry> DiscoveryTable::take(const policy::FlowKey& flow, uint64_t nowNs) {
  DiscoveryEntry* e = find(flow, nowNs);
  if (e == nullptr) {
    return std::nullopt;
  }
  DiscoveryEntry copy = *e;
  entries_.erase(keyOf(flow));
  return copy;
}

void DiscoveryTable::expire(uint64_t nowNs) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (nowNs - it->second.createdNs > lifetimeNs_) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace bh::proxy
