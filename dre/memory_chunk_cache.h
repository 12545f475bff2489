#pragma once

#include <cstdint>
#include <list>
#include <unordered_map>

#include "common/bytes.h"
#include "dre/fingerprint.h"

namespace bh::dre {

/// In-memory chunk store with least-recently-used eviction and a hard cap on bytes held
/// (chunk data plus a fixed per-entry overhead). Not thread-safe: ChunkCache wraps it.
class MemoryChunkCache {
 public:
  /// Bookkeeping charged per entry on top of its data (map node, list node, vector header).
  static constexpr size_t kEntryOverhead = 128;

  explicit MemoryChunkCache(size_t capBytes) : capBytes_(capBytes) {}

  /// Stores a copy of `data` under `fp` (refreshing it if present) and evicts the least
  /// recently used entries until the cap holds. A chunk larger than the cap is not stored.
  /// @return true if the chunk is held afterwards.
  bool insert(const Fingerprint& fp, ByteSpan data);

  /// @return the chunk bytes (valid until the next insert/erase), or nullptr; marks it recent.
  const Bytes* find(const Fingerprint& fp);
  bool contains(const Fingerprint& fp) const { return map_.count(fp) != 0; }
  void erase(const Fingerprint& fp);
  void clear();

  size_t usedBytes() const { return usedBytes_; }
  size_t capBytes() const { return capBytes_; }
  size_t entries() const { return map_.size(); }
  uint64_t evictions() const { return evictions_; }

 private:
  struct Entry {
    Bytes data;
    std::list<Fingerprint>::iterator lruPos;
  };
  void evictUntil(size_t limit);

  size_t capBytes_;
  size_t usedBytes_ = 0;
  uint64_t evictions_ = 0;
  std::list<Fingerprint> lru_;  ///< front = most recent
  std::unordered_map<Fingerprint, Entry, FingerprintHash> map_;
};

}  // namespace bh::dre
