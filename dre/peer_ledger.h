#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <unordered_map>

#include "common/bytes.h"
#include "dre/fingerprint.h"

namespace bh::dre {

/// The sender's record of which chunks one peer holds, shared by all flows towards that peer.
/// A chunk enters when we send it as a literal (or the peer re-receives it through a resend);
/// only chunks in the ledger are ever sent as references. The record is tied to the peer's
/// cache epoch: when the peer announces another epoch (its cache was wiped or replaced) the
/// ledger empties. The ledger is capped in chunk bytes and entries, and the cap should not exceed
/// the peer's cache size, so that the oldest entries we forget are the ones the peer evicts first.
/// It is still only a belief: the peer verifies every reference and reports misses (Missing).
class PeerLedger {
 public:
  PeerLedger(uint64_t capBytes, size_t capEntries) : capBytes_(capBytes), capEntries_(capEntries) {}

  /// Adopts the peer's cache epoch; a change forgets everything recorded (but the first epoch
  /// learned, replacing "unknown" (0), keeps what was recorded while it was unknown).
  void syncEpoch(uint64_t peerEpoch);
  uint64_t epoch() const;

  /// @return true if the peer is believed to hold `fp` with this length (refreshes its age).
  bool holds(const Fingerprint& fp, uint32_t length);
  /// Records that the peer will hold `fp` (we are sending it the bytes).
  void record(const Fingerprint& fp, uint32_t length);
  /// Forgets `fp` (the peer reported it missing and we could not resend it).
  void forget(const Fingerprint& fp);

  size_t entries() const;
  uint64_t bytes() const;

  /// Serializes the ledger (epoch and entries, newest first) with a CRC, so a restarted sender
  /// still knows what the peer holds. Appends to `out`.
  void save(Bytes& out) const;
  /// Replaces the ledger with a saved one. @return false (ledger left empty) on a bad magic,
  /// length or CRC: a damaged file only costs reduction, never correctness, since the peer
  /// verifies every reference anyway.
  bool load(ByteSpan in);

 private:
  struct Entry {
    uint32_t length;
    std::list<Fingerprint>::iterator age;
  };
  void eraseLocked(std::unordered_map<Fingerprint, Entry, FingerprintHash>::iterator it);

  const uint64_t capBytes_;
  const size_t capEntries_;
  mutable std::mutex mutex_;
  uint64_t epoch_ = 0;
  uint64_t bytes_ = 0;
  std::list<Fingerprint> ages_;  ///< front = most recently sent or referenced
  std::unordered_map<Fingerprint, Entry, FingerprintHash> map_;
};

}  // namespace bh::dre
