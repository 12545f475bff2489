#include "dre/peer_ledger.h"

namespace bh::dre {

void PeerLedger::syncEpoch(uint64_t peerEpoch) {
  std::lock_guard<std::mutex> lock(mutex_);
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

}  // namespace bh::dre
