#include "dre/memory_chunk_cache.h"

namespace bh::dre {

bool MemoryChunkCache::insert(const Fingerprint& fp, ByteSpan data) {
  auto it = map_.find(fp);
  if (it != map_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lruPos);
    return true;
  }
  const size_t cost = data.size() + kEntryOverhead;
  if (cost > capBytes_) {
    return false;
  }
  evictUntil(capBytes_ - cost);
  lru_.push_front(fp);
  map_.emplace(fp, Entry{Bytes(data.begin(), data.end()), lru_.begin()});
  usedBytes_ += cost;
  return true;
}

const Bytes* MemoryChunkCache::find(const Fingerprint& fp) {
  auto it = map_.find(fp);
  if (it == map_.end()) {
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second.lruPos);
  return &it->second.data;
}

void MemoryChunkCache::erase(const Fingerprint& fp) {
  auto it = map_.find(fp);
  if (it == map_.end()) {
    return;
  }
  usedBytes_ -= it->second.data.size() + kEntryOverhead;
  lru_.erase(it->second.lruPos);
  map_.erase(it);
}

void MemoryChunkCache::clear() {
  map_.clear();
  lru_.clear();
  usedBytes_ = 0;
}

void MemoryChunkCache::evictUntil(size_t limit) {
  while (usedBytes_ > limit && !lru_.empty()) {
    erase(lru_.back());
    ++evictions_;
  }
}

}  // namespace bh::dre
