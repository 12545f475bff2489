#include "dre/disk_chunk_store.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "dre/crc32c.h"

namespace bh::dre {
namespace {

constexpr uint32_t kRecordMagic = 0x52434842;  // "BHCR" little-endian
constexpr char kSegmentMagic[DiskChunkStore::kSegmentHeaderBytes] = {'B', 'H', 'D', 'R',
                                                                     'E', 'S', 'G', '1'};
constexpr uint64_t kMaxSegments = 4096;

uint32_t recordCrc(uint32_t length, const Fingerprint& fp, ByteSpan data) {
  uint8_t head[4 + Fingerprint::kBytes];
  for (int i = 0; i < 4; ++i) {
    head[i] = static_cast<uint8_t>(length >> (8 * i));
  }
  std::memcpy(head + 4, fp.bytes.data(), Fingerprint::kBytes);
  return crc32c(data, crc32c(ByteSpan(head, sizeof(head))));
}

bool writeAll(int fd, const uint8_t* p, size_t n, uint64_t offset) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
    offset += static_cast<uint64_t>(w);
  }
  return true;
}

bool readAll(int fd, uint8_t* p, size_t n, uint64_t offset) {
  while (n > 0) {
    ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      return false;
    }
    p += r;
    n -= static_cast<size_t>(r);
    offset += static_cast<uint64_t>(r);
  }
  return true;
}

uint32_t le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

}  // namespace

std::string DiskStoreConfig::validate() const {
  if (directory.empty()) {
    return "disk store directory is empty";
  }
  if (segmentBytes < 4096 || segmentBytes > 0xFFFF0000ull) {
    return "disk store segmentBytes must be in [4 KiB, 4 GiB)";
  }
  if (capBytes < segmentBytes || capBytes / segmentBytes > kMaxSegments) {
    return "disk store capBytes must hold 1..4096 segments";
  }
  if (maxChunkBytes == 0 || maxChunkBytes + DiskChunkStore::kRecordHeaderBytes > segmentBytes) {
    return "disk store maxChunkBytes must fit in a segment";
  }
  return {};
}

std::unique_ptr<DiskChunkStore> DiskChunkStore::open(const DiskStoreConfig& config, LogFn log,
                                                     std::string& error) {
  error = config.validate();
  if (!error.empty()) {
    return nullptr;
  }
  std::error_code ec;
  std::filesystem::create_directories(config.directory, ec);
  if (ec) {
    error = "cannot create " + config.directory + ": " + ec.message();
    return nullptr;
  }
  std::unique_ptr<DiskChunkStore> store(new DiskChunkStore(config, std::move(log)));
  if (!store->loadEpoch(error)) {
    return nullptr;
  }
  std::vector<uint32_t> ids;
  for (const auto& e : std::filesystem::directory_iterator(config.directory, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() == 12 && name.ends_with(".seg") && name.find_first_not_of("0123456789") == 8) {
      ids.push_back(static_cast<uint32_t>(std::stoul(name.substr(0, 8))));
    }
  }
  std::sort(ids.begin(), ids.end());
  for (uint32_t id : ids) {
    Segment seg;
    seg.fd = ::open(store->segmentPath(id).c_str(), O_RDWR | O_CLOEXEC);
    if (seg.fd < 0) {
      store->logLine("dre cache: cannot open segment " + store->segmentPath(id));
      continue;
    }
    store->scanSegment(id, seg);
    if (seg.fd >= 0) {
      store->segments_[id] = seg;
    }
  }
  uint32_t next = ids.empty() ? 1 : ids.back() + 1;
  if (!store->segments_.empty() &&
      store->segments_.rbegin()->second.size + kRecordHeaderBytes + config.maxChunkBytes <=
          config.segmentBytes) {
    store->active_ = store->segments_.rbegin()->first;
  } else if (!store->startSegment(next)) {
    error = "cannot create a segment in " + config.directory;
    return nullptr;
  }
  store->enforceCaps();
  return store;
}

DiskChunkStore::~DiskChunkStore() {
  flush();
  for (auto& [id, seg] : segments_) {
    ::close(seg.fd);
  }
}

bool DiskChunkStore::loadEpoch(std::string& error) {
  const std::string path = config_.directory + "/epoch";
  uint8_t buf[12];
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    bool ok = readAll(fd, buf, sizeof(buf), 0);
    ::close(fd);
    if (ok && crc32c(ByteSpan(buf, 8)) == le32(buf + 8)) {
      std::memcpy(&epoch_, buf, 8);
      return true;
    }
    logLine("dre cache: epoch file unreadable, starting a new epoch");
  }
  if (RAND_bytes(buf, 8) != 1) {
    error = "no randomness for the cache epoch";
    return false;
  }
  std::memcpy(&epoch_, buf, 8);
  uint32_t c = crc32c(ByteSpan(buf, 8));
  std::memcpy(buf + 8, &c, 4);
  fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || !writeAll(fd, buf, sizeof(buf), 0)) {
    if (fd >= 0) {
      ::close(fd);
    }
    error = "cannot write " + path;
    return false;
  }
  ::close(fd);
  return true;
}

void DiskChunkStore::scanSegment(uint32_t id, Segment& seg) {
  const std::string path = segmentPath(id);
  off_t end = ::lseek(seg.fd, 0, SEEK_END);
  Bytes file(end > 0 ? static_cast<size_t>(end) : 0);
  if (end < 0 || !readAll(seg.fd, file.data(), file.size(), 0) ||
      file.size() < kSegmentHeaderBytes ||
      std::memcmp(file.data(), kSegmentMagic, kSegmentHeaderBytes) != 0) {
    logLine("dre cache: " + path + " has no valid segment header, removed");
    ::close(seg.fd);
    seg.fd = -1;
    ::unlink(path.c_str());
    return;
  }
  size_t off = kSegmentHeaderBytes;
  while (off < file.size()) {
    const uint8_t* h = file.data() + off;
    const size_t left = file.size() - off;
    uint32_t length = left >= kRecordHeaderBytes ? le32(h + 4) : 0;
    if (left < kRecordHeaderBytes || le32(h) != kRecordMagic || length == 0 ||
        length > config_.maxChunkBytes || length > left - kRecordHeaderBytes) {
      // Framing is lost: nothing after this point can be trusted to start a record.
      logLine("dre cache: " + path + " damaged at offset " + std::to_string(off) + ", truncated " +
              std::to_string(left) + " bytes");
      ++corruptRecords_;
      if (::ftruncate(seg.fd, static_cast<off_t>(off)) != 0) {
        logLine("dre cache: cannot truncate " + path);
      }
      break;
    }
    Fingerprint fp;
    std::memcpy(fp.bytes.data(), h + 8, Fingerprint::kBytes);
    ByteSpan data(h + kRecordHeaderBytes, length);
    if (recordCrc(length, fp, data) != le32(h + 24)) {
      logLine("dre cache: " + path + " record at offset " + std::to_string(off) +
              " fails its checksum, skipped");
      ++corruptRecords_;
    } else if (index_.count(fp) == 0) {
      index_[fp] = Location{id, static_cast<uint32_t>(off), length};
    }
    off += kRecordHeaderBytes + length;
  }
  seg.size = off < file.size() ? off : file.size();
}

bool DiskChunkStore::startSegment(uint32_t id) {
  Segment seg;
  seg.fd = ::open(segmentPath(id).c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (seg.fd < 0 ||
      !writeAll(seg.fd, reinterpret_cast<const uint8_t*>(kSegmentMagic), kSegmentHeaderBytes, 0)) {
    if (seg.fd >= 0) {
      ::close(seg.fd);
    }
    logLine("dre cache: cannot create " + segmentPath(id));
    return false;
  }
  seg.size = kSegmentHeaderBytes;
  segments_[id] = seg;
  active_ = id;
  return true;
}

bool DiskChunkStore::append(const Fingerprint& fp, ByteSpan data) {
  if (index_.count(fp) != 0) {
    return true;
  }
  if (data.empty() || data.size() > config_.maxChunkBytes) {
    return false;
  }
  auto it = segments_.find(active_);
  if (it == segments_.end()) {
    return false;
  }
  const uint64_t offset = it->second.size + writeBuf_.size();
  if (offset + kRecordHeaderBytes + data.size() > config_.segmentBytes) {
    if (!flush() || !startSegment(active_ + 1)) {
      return false;
    }
    enforceCaps();
    return append(fp, data);
  }
  // Make room first, so the cap holds at every moment, not only at segment boundaries.
  while (diskBytes() + kRecordHeaderBytes + data.size() > config_.capBytes && dropOldestSegment()) {
  }
  const uint32_t length = static_cast<uint32_t>(data.size());
  ByteWriter w(writeBuf_);
  w.u32(kRecordMagic);
  w.u32(length);
  w.bytes(ByteSpan(fp.bytes.data(), fp.bytes.size()));
  w.u32(recordCrc(length, fp, data));
  w.bytes(data);
  index_[fp] = Location{active_, static_cast<uint32_t>(offset), length};
  if (writeBuf_.size() >= config_.writeBufferBytes && !flush()) {
    return false;
  }
  // Every record costs at least this much disk, so the index is bounded by capBytes too.
  if (index_.size() > config_.capBytes / 64) {
    enforceCaps();
  }
  return true;
}

bool DiskChunkStore::flush() {
  if (writeBuf_.empty()) {
    return true;
  }
  auto it = segments_.find(active_);
  if (it == segments_.end()) {
    writeBuf_.clear();
    return false;
  }
  bool ok = writeAll(it->second.fd, writeBuf_.data(), writeBuf_.size(), it->second.size);
  if (ok) {
    it->second.size += writeBuf_.size();
  } else {
    logLine("dre cache: write to " + segmentPath(active_) + " failed");
    // Records that never reached the disk must not stay indexed.
    for (auto i = index_.begin(); i != index_.end();) {
      if (i->second.segment == active_ && i->second.offset >= it->second.size) {
        i = index_.erase(i);
      } else {
        ++i;
      }
    }
  }
  writeBuf_.clear();
  return ok;
}

DiskChunkStore::ReadStatus DiskChunkStore::read(const Fingerprint& fp, Bytes& out) {
  auto li = index_.find(fp);
  if (li == index_.end()) {
    return ReadStatus::Absent;
  }
  const Location loc = li->second;
  auto si = segments_.find(loc.segment);
  Bytes rec(kRecordHeaderBytes + loc.length);
  bool ok = si != segments_.end();
  if (ok && loc.segment == active_ && loc.offset >= si->second.size) {
    const size_t at = loc.offset - si->second.size;
    ok = at + rec.size() <= writeBuf_.size();
    if (ok) {
      std::memcpy(rec.data(), writeBuf_.data() + at, rec.size());
    }
  } else if (ok) {
    ok = readAll(si->second.fd, rec.data(), rec.size(), loc.offset);
  }
  if (ok) {
    ByteSpan data(rec.data() + kRecordHeaderBytes, loc.length);
    ok = le32(rec.data()) == kRecordMagic && le32(rec.data() + 4) == loc.length &&
         std::memcmp(rec.data() + 8, fp.bytes.data(), Fingerprint::kBytes) == 0 &&
         recordCrc(loc.length, fp, data) == le32(rec.data() + 24);
  }
  if (!ok) {
    logLine("dre cache: record " + fp.toHex() + " in " + segmentPath(loc.segment) +
            " is unreadable or corrupt, dropped");
    ++corruptRecords_;
    index_.erase(li);
    return ReadStatus::Corrupt;
  }
  out.insert(out.end(), rec.begin() + kRecordHeaderBytes, rec.end());
  return ReadStatus::Found;
}

uint64_t DiskChunkStore::diskBytes() const {
  uint64_t total = writeBuf_.size();
  for (const auto& [id, seg] : segments_) {
    total += seg.size;
  }
  return total;
}

void DiskChunkStore::enforceCaps() {
  while (segments_.size() > 1 &&
         (diskBytes() > config_.capBytes || index_.size() > config_.capBytes / 64)) {
    if (!dropOldestSegment()) {
      break;
    }
  }
}

bool DiskChunkStore::dropOldestSegment() {
  auto it = segments_.begin();
  const uint32_t id = it->first;
  if (id == active_) {
    return false;
  }
  ::close(it->second.fd);
  ::unlink(segmentPath(id).c_str());
  segments_.erase(it);
  for (auto i = index_.begin(); i != index_.end();) {
    if (i->second.segment == id) {
      i = index_.erase(i);
    } else {
      ++i;
    }
  }
  return true;
}

std::string DiskChunkStore::segmentPath(uint32_t id) const {
  char name[16];
  std::snprintf(name, sizeof(name), "%08u.seg", id);
  return config_.directory + "/" + name;
}

void DiskChunkStore::logLine(const std::string& line) const {
  if (log_) {
    log_(line);
  }
}

}  // namespace bh::dre
