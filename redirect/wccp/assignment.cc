#include "redirect/wccp/assignment.h"

#include <algorithm>
#include <bit>

namespace bh::redirect::wccp {

namespace {

void byAddress(std::vector<WebCacheMember>& caches) {
  std::sort(caches.begin(), caches.end(),
            [](const WebCacheMember& a, const WebCacheMember& b) { return a.address < b.address; });
}

}  // namespace

std::optional<uint32_t> designatedWebCache(const std::vector<uint32_t>& caches) {
  if (caches.empty()) {
    return std::nullopt;
  }
  return *std::min_element(caches.begin(), caches.end());
}

HashAssignment buildHashAssignment(const AssignmentKey& key,
                                   const std::vector<RouterAssignment>& routers,
                                   std::vector<WebCacheMember> caches,
                                   const HashAssignment* previous) {
  HashAssignment a;
  a.key = key;
  a.routers = routers;
  a.buckets.fill(kUnassignedBucket);
  byAddress(caches);
  if (caches.size() > 32) {
    caches.resize(32);  // 5.6.7: a web-cache index is 0-31
  }
  uint64_t total = 0;
  for (const auto& c : caches) {
    a.webCaches.push_back(c.address);
    total += c.weight;
  }
  if (caches.empty()) {
    return a;
  }
  // Each cache's share: cumulative weight decides where each share ends, so rounding never
  // leaves a bucket out.
  std::vector<size_t> share(caches.size());
  uint64_t cumulative = 0;
  size_t start = 0;
  for (size_t i = 0; i < caches.size(); ++i) {
    cumulative += total == 0 ? 1 : caches[i].weight;
    const uint64_t denominator = total == 0 ? caches.size() : total;
    const size_t end =
        i + 1 == caches.size() ? 256 : static_cast<size_t>(cumulative * 256 / denominator);
    share[i] = end > start ? end - start : 0;
    start = std::max(start, end);
  }
  if (previous == nullptr) {
    size_t b = 0;
    for (size_t i = 0; i < caches.size(); ++i) {
      for (size_t n = 0; n < share[i]; ++n) {
        a.buckets[b++] = static_cast<uint8_t>(i);
      }
    }
    return a;
  }
  // Sticky: keep each staying cache's buckets up to its share, then fill the rest in order.
  std::vector<size_t> held(caches.size(), 0);
  for (size_t b = 0; b < 256; ++b) {
    const uint8_t old = previous->buckets[b];
    if (old == kUnassignedBucket || (old & 0x7f) >= previous->webCaches.size()) {
      continue;
    }
    const uint32_t owner = previous->webCaches[old & 0x7f];
    auto it = std::find(a.webCaches.begin(), a.webCaches.end(), owner);
    if (it == a.webCaches.end()) {
      continue;  // its cache left: the bucket is free
    }
    const size_t i = static_cast<size_t>(it - a.webCaches.begin());
    if (held[i] < share[i]) {
      a.buckets[b] = static_cast<uint8_t>(i);
      ++held[i];
    }
  }
  size_t i = 0;
  for (size_t b = 0; b < 256; ++b) {
    if (a.buckets[b] != kUnassignedBucket) {
      continue;
    }
    while (i < caches.size() && held[i] >= share[i]) {
      ++i;
    }
    if (i == caches.size()) {
      break;
    }
    a.buckets[b] = static_cast<uint8_t>(i);
    ++held[i];
  }
  return a;
}

std::optional<MaskAssignment> buildMaskAssignment(const AssignmentKey& key,
                                                  const std::vector<RouterAssignment>& routers,
                                                  std::vector<WebCacheMember> caches,
                                                  uint32_t addressMask, bool clientIsSource) {
  const int bits = std::popcount(addressMask);
  if (caches.empty() || bits > 7) {
    return std::nullopt;
  }
  byAddress(caches);
  MaskAssignment m;
  m.key = key;
  m.routers = routers;
  MaskValueSet set;
  (clientIsSource ? set.mask.srcAddrMask : set.mask.dstAddrMask) = addressMask;
  // Every value of the masked bits: spread the combination index's bits onto the mask's.
  const uint32_t values = 1u << bits;
  for (uint32_t v = 0; v < values; ++v) {
    uint32_t value = 0;
    int bit = 0;
    for (int pos = 0; pos < 32; ++pos) {
      if (addressMask & (1u << pos)) {
        if (v & (1u << bit)) {
          value |= 1u << pos;
        }
        ++bit;
      }
    }
    ValueElement e;
    (clientIsSource ? e.srcAddr : e.dstAddr) = value;
    e.webCache = caches[v % caches.size()].address;
    set.values.push_back(e);
  }
  m.sets.push_back(std::move(set));
  return m;
}

}  // namespace bh::redirect::wccp
