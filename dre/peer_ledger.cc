#include "dre/peer_ledger.h"

#include "dre/crc32c.h"

namespace bh::dre {

void PeerLedger::syncEpoch(uint64_t peerEpoch) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (epoch_ == 0) {
    // The first epoch we hear of: what was recorded before it (literals of the flow that is
    // carrying this very announcement) is in the peer's current cache, so keep it.
    epoch_ = peerEpoch;
    return;
  }
  if (peerEpoch != epoch_) {
    epoch_ = peerEpoch;
    map_.clear();
    ages_.clear();
    bytes_ = 0;
  }
}

uint64_t PeerLedger::epoch() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return epoch_;
}

bool PeerLedger::holds(const Fingerprint& fp, uint32_t length) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = map_.find(fp);
  if (it == map_.end() || it->second.length != length) {
    return false;
  }
  ages_.splice(ages_.begin(), ages_, it->second.age);
  return true;
}

void PeerLedger::record(const Fingerprint& fp, uint32_t length) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = map_.find(fp);
  if (it != map_.end()) {
    ages_.splice(ages_.begin(), ages_, it->second.age);
    return;
  }
  if (length > capBytes_ || capEntries_ == 0) {
    return;
  }
  while (!ages_.empty() && (bytes_ + length > capBytes_ || map_.size() + 1 > capEntries_)) {
    eraseLocked(map_.find(ages_.back()));
  }
  ages_.push_front(fp);
  map_.emplace(fp, Entry{length, ages_.begin()});
  bytes_ += length;
}

void PeerLedger::forget(const Fingerprint& fp) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = map_.find(fp);
  if (it != map_.end()) {
    eraseLocked(it);
  }
}

void PeerLedger::eraseLocked(std::unordered_map<Fingerprint, Entry, FingerprintHash>::iterator it) {
  bytes_ -= it->second.length;
  ages_.erase(it->second.age);
  map_.erase(it);
}

size_t PeerLedger::entries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return map_.size();
}

uint64_t PeerLedger::bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bytes_;
}

namespace {
constexpr uint32_t kLedgerMagic = 0x42484c47;  // "BHLG"
constexpr uint32_t kLedgerVersion = 1;
constexpr size_t kLedgerEntryBytes = Fingerprint::kBytes + 4;
}  // namespace

void PeerLedger::save(Bytes& out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const size_t start = out.size();
  ByteWriter w(out);
  w.u32(kLedgerMagic);
  w.u32(kLedgerVersion);
  w.u64(epoch_);
  w.u32(static_cast<uint32_t>(map_.size()));
  for (auto it = ages_.begin(); it != ages_.end(); ++it) {  // newest first
    w.bytes(ByteSpan(it->bytes.data(), it->bytes.size()));
    w.u32(map_.at(*it).length);
  }
  w.u32(crc32c(ByteSpan(out.data() + start, out.size() - start)));
}

bool PeerLedger::load(ByteSpan in) {
  std::lock_guard<std::mutex> lock(mutex_);
  map_.clear();
  ages_.clear();
  bytes_ = 0;
  epoch_ = 0;
  if (in.size() < 24) {
    return false;
  }
  ByteReader crcReader(in.subspan(in.size() - 4));
  if (crc32c(in.first(in.size() - 4)) != crcReader.u32()) {
    return false;
  }
  ByteReader r(in.first(in.size() - 4));
  uint32_t magic = r.u32();
  uint32_t version = r.u32();
  uint64_t epoch = r.u64();
  uint32_t count = r.u32();
  if (!r.ok() || magic != kLedgerMagic || version != kLedgerVersion ||
      r.remaining() != static_cast<size_t>(count) * kLedgerEntryBytes) {
    return false;
  }
  epoch_ = epoch;
  for (uint32_t i = 0; i < count; ++i) {
    Fingerprint fp;
    ByteSpan b = r.take(Fingerprint::kBytes);
    std::copy(b.begin(), b.end(), fp.bytes.begin());
    uint32_t length = r.u32();
    if (map_.count(fp) != 0 || length == 0 || bytes_ + length > capBytes_ ||
        map_.size() + 1 > capEntries_) {
      continue;  // over our (possibly smaller) caps: the newest came first and stay
    }
    ages_.push_back(fp);
    map_.emplace(fp, Entry{length, std::prev(ages_.end())});
    bytes_ += length;
  }
  return true;
}

}  // namespace bh::dre
