#include "secure/ocsp_cache.h"

#include <algorithm>

namespace bh::secure {

void OcspCache::store(const Bytes& certId, const OcspAnswer& answer, time_t now) {
  if (answer.status == OcspCertStatus::Error || answer.nextUpdate == 0 ||
      answer.nextUpdate <= now || maxEntries_ == 0) {
    return;
  }
  if (entries_.count(certId) == 0) {
    while (entries_.size() >= maxEntries_ && !order_.empty()) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(certId);
  }
  entries_[certId] = answer;
}

std::optional<OcspAnswer> OcspCache::lookup(const Bytes& certId, time_t now) {
  auto it = entries_.find(certId);
  if (it == entries_.end()) {
    return std::nullopt;
  }
  if (now >= it->second.nextUpdate) {
    entries_.erase(it);
    order_.erase(std::find(order_.begin(), order_.end(), certId));
    return std::nullopt;
  }
  return it->second;
}

}  // namespace bh::secure
