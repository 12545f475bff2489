#include "dre/chunk_cache.h"

#include <openssl/rand.h>

#include <cstring>

namespace bh::dre {

std::unique_ptr<ChunkCache> ChunkCache::open(const ChunkCacheConfig& config, LogFn log,
                                             std::string& error) {
  std::unique_ptr<ChunkCache> cache(new ChunkCache(config, log));
  if (config.persistent) {
    cache->disk_ = DiskChunkStore::open(config.disk, log, error);
    if (cache->disk_ == nullptr) {
      return nullptr;
    }
    cache->epoch_ = cache->disk_->epoch();
  } else {
    uint8_t r[8];
    if (RAND_bytes(r, sizeof(r)) != 1) {
      error = "no randomness for the cache epoch";
      return nullptr;
    }
    std::memcpy(&cache->epoch_, r, sizeof(r));
  }
  error.clear();
  return cache;
}

void ChunkCache::insert(const Fingerprint& fp, ByteSpan data) {
  std::lock_guard<std::mutex> lock(mutex_);
  inserts_.fetch_add(1, std::memory_order_relaxed);
  memory_.insert(fp, data);
  if (disk_ != nullptr) {
    disk_->append(fp, data);
  }
}

bool ChunkCache::verify(const Fingerprint& fp, uint32_t length, ByteSpan data) const {
  if (data.size() == length && fingerprintOf(data) == fp) {
    return true;
  }
  if (log_) {
    log_("dre cache: chunk " + fp.toHex() + " does not match its fingerprint, dropped");
  }
  return false;
}

ChunkCache::Lookup ChunkCache::lookup(const Fingerprint& fp, uint32_t length, Bytes& out) {
  const size_t before = out.size();
  bool fromDisk = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (const Bytes* data = memory_.find(fp); data != nullptr && data->size() == length) {
      out.insert(out.end(), data->begin(), data->end());
    } else if (data == nullptr && disk_ != nullptr &&
               disk_->read(fp, out) == DiskChunkStore::ReadStatus::Found) {
      fromDisk = true;
    }
    if (out.size() == before) {
      // Absent, or held under this name with another length (a different chunk was meant).
      ++misses_;
      return Lookup::Miss;
    }
  }
  // Hash outside the lock: other flows keep using the cache meanwhile.
  ByteSpan data(out.data() + before, out.size() - before);
  const bool verified = (!fromDisk && !config_.verifyMemoryHits) || verify(fp, length, data);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!verified) {
    ++verifyFailures_;
    memory_.erase(fp);
    if (disk_ != nullptr && fromDisk) {
      disk_->forget(fp);
    }
    out.resize(before);
    ++misses_;
    return Lookup::Miss;
  }
  if (fromDisk) {
    memory_.insert(fp, data);
  }
  ++hits_;
  return Lookup::Hit;
}

bool ChunkCache::contains(const Fingerprint& fp) {
  std::lock_guard<std::mutex> lock(mutex_);
  return memory_.contains(fp) || (disk_ != nullptr && disk_->contains(fp));
}

void ChunkCache::flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (disk_ != nullptr) {
    disk_->flush();
  }
}

ChunkCache::Stats ChunkCache::stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  Stats s;
  s.memoryBytes = memory_.usedBytes();
  s.memoryEntries = memory_.entries();
  if (disk_ != nullptr) {
    s.diskBytes = disk_->diskBytes();
    s.diskEntries = disk_->entries();
    s.corruptDiskRecords = disk_->corruptRecords();
  }
  s.hits = hits_;
  s.misses = misses_;
  s.verifyFailures = verifyFailures_;
  return s;
}

}  // namespace bh::dre
