#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "common/bytes.h"
#include "dre/fingerprint.h"

namespace bh::dre {

/// Receives one human-readable line per anomaly (corrupt record, truncated segment, I/O error).
using LogFn = std::function<void(const std::string&)>;

struct DiskStoreConfig {
  std::string directory;                ///< created if missing
  uint64_t capBytes = 1ull << 30;       ///< total segment bytes; oldest segments dropped
  uint64_t segmentBytes = 64ull << 20;  ///< a segment is closed once it reaches this size
  uint32_t maxChunkBytes = 64 * 1024;   ///< larger records are refused (and are corrupt at scan)
  size_t writeBufferBytes = 1 << 20;    ///< appends are batched into writes of this size

  std::string validate() const;
};

/// Append-only, checksummed chunk log on disk, split into numbered segment files
/// (`00000001.seg`, ...). A record is
///   u32 magic 'BHCR' | u32 length | 16-byte fingerprint | u32 crc32c(length, fingerprint, data)
///   | data.
/// Opening rescans every segment and rebuilds the index: a record whose CRC fails is skipped, a
/// record whose header is implausible ends the segment (the tail is truncated), both logged.
/// Reads re-check the CRC; the caller (ChunkCache) re-hashes the data against the fingerprint,
/// so a corrupted disk yields "absent", never wrong bytes. Not thread-safe: ChunkCache locks.
class DiskChunkStore {
 public:
  enum class ReadStatus { Found, Absent, Corrupt };

  /// @return nullptr and a reason in `error` when the directory cannot be used.
  static std::unique_ptr<DiskChunkStore> open(const DiskStoreConfig& config, LogFn log,
                                              std::string& error);
  ~DiskChunkStore();
  DiskChunkStore(const DiskChunkStore&) = delete;
  DiskChunkStore& operator=(const DiskChunkStore&) = delete;

  bool contains(const Fingerprint& fp) const { return index_.count(fp) != 0; }
  /// Appends a record unless `fp` is already stored. @return false on an I/O error.
  bool append(const Fingerprint& fp, ByteSpan data);
  /// Appends the stored bytes of `fp` to `out` when its record is intact.
  ReadStatus read(const Fingerprint& fp, Bytes& out);
  /// Drops `fp` from the index (its record stays until the segment is dropped).
  void forget(const Fingerprint& fp) { index_.erase(fp); }
  /// Writes batched appends to the segment file. @return false on an I/O error.
  bool flush();

  /// Random id of this cache's contents, kept in the `epoch` file; new when the cache is new.
  uint64_t epoch() const { return epoch_; }
  uint64_t diskBytes() const;
  size_t entries() const { return index_.size(); }
  size_t segments() const { return segments_.size(); }
  uint64_t corruptRecords() const { return corruptRecords_; }

  static constexpr size_t kRecordHeaderBytes = 28;
  static constexpr size_t kSegmentHeaderBytes = 8;

 private:
  struct Segment {
    int fd = -1;
    uint64_t size = 0;  ///< bytes on disk (excluding the unflushed write buffer)
  };
  struct Location {
    uint32_t segment;
    uint32_t offset;
    uint32_t length;
  };

  DiskChunkStore(const DiskStoreConfig& config, LogFn log)
      : config_(config), log_(std::move(log)) {}
  bool loadEpoch(std::string& error);
  void scanSegment(uint32_t id, Segment& seg);
  bool startSegment(uint32_t id);
  bool dropOldestSegment();
  void enforceCaps();
  std::string segmentPath(uint32_t id) const;
  void logLine(const std::string& line) const;

  DiskStoreConfig config_;
  LogFn log_;
  uint64_t epoch_ = 0;
  std::map<uint32_t, Segment> segments_;  ///< ordered oldest first
  uint32_t active_ = 0;                   ///< id of the segment appended to
  Bytes writeBuf_;                        ///< pending appends to the active segment
  std::unordered_map<Fingerprint, Location, FingerprintHash> index_;
  uint64_t corruptRecords_ = 0;
};

}  // namespace bh::dre
