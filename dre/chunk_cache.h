#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "common/bytes.h"
#include "dre/disk_chunk_store.h"
#include "dre/fingerprint.h"
#include "dre/memory_chunk_cache.h"

namespace bh::dre {

struct ChunkCacheConfig {
  size_t memoryBytes = 256u << 20;  ///< cap of the in-memory LRU
  bool persistent = false;          ///< also keep chunks in `disk.directory`
  DiskStoreConfig disk;
  /// Re-hash chunks found in memory before use. Memory entries were hashed by this process on
  /// insert, so this only guards against memory corruption; disk hits are always re-hashed.
  bool verifyMemoryHits = true;
};

/// The chunk cache of one Bridgehead device, shared by every flow and both directions: a
/// bounded memory LRU in front of an optional bounded disk log. Every chunk handed out has
/// been hashed and matched against the requested fingerprint, so callers never see wrong bytes.
/// Thread-safe: one mutex around the maps; hashing happens outside it.
class ChunkCache {
 public:
  enum class Lookup { Hit, Miss };

  /// @return nullptr and a reason in `error` if the disk store cannot be opened.
  static std::unique_ptr<ChunkCache> open(const ChunkCacheConfig& config, LogFn log,
                                          std::string& error);

  /// Stores a chunk. `fp` must be fingerprintOf(data): callers compute it themselves and never
  /// take a fingerprint from the wire for data they store.
  void insert(const Fingerprint& fp, ByteSpan data);

  /// Appends the chunk to `out` when held and verified (hash and length), else leaves `out`
  /// untouched. A chunk that fails verification is dropped and logged, and counts as a miss.
  Lookup lookup(const Fingerprint& fp, uint32_t length, Bytes& out);
  bool contains(const Fingerprint& fp);

  /// Number of chunks inserted so far: lets a stalled decoder tell whether a retry can succeed.
  uint64_t insertCount() const { return inserts_.load(std::memory_order_relaxed); }

  /// Random id of the cache contents. A peer's ledger of what we hold is only valid for it.
  uint64_t epoch() const { return epoch_; }
  void flush();

  struct Stats {
    size_t memoryBytes = 0;
    size_t memoryEntries = 0;
    uint64_t diskBytes = 0;
    size_t diskEntries = 0;
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t verifyFailures = 0;
    uint64_t corruptDiskRecords = 0;
  };
  Stats stats();

 private:
  ChunkCache(const ChunkCacheConfig& config, LogFn log)
      : config_(config), log_(std::move(log)), memory_(config.memoryBytes) {}
  bool verify(const Fingerprint& fp, uint32_t length, ByteSpan data) const;

  ChunkCacheConfig config_;
  LogFn log_;
  std::mutex mutex_;
  MemoryChunkCache memory_;
  std::unique_ptr<DiskChunkStore> disk_;
  uint64_t epoch_ = 0;
  std::atomic<uint64_t> inserts_{0};
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  uint64_t verifyFailures_ = 0;
};

using ChunkCachePtr = std::unique_ptr<ChunkCache>;

}  // namespace bh::dre
