#pragma once

// The seed's "memory key cache": the Exchange servers' keys by SPN, so that a sealed MAPI session
// is opened without a trip to the directory ("Key for X resides in memory key cache"). Bounded in
// entries and in keys per entry. What it holds is also sealed into the secure store
// (key_cache_record.h) so that a restart does not send every session to generic while keys are
// fetched again.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "secure/encryption_service/service_key.h"

namespace bh::secure::encryption_service {

struct KeyCacheLimits {
  /// Exchange servers (SPNs) kept; over it, the entry fetched longest ago goes.
  size_t maxSpns = 256;
  /// Keys of one SPN (current and previous password, a few etypes each).
  size_t maxKeysPerSpn = 16;
  /// The longest key (AES-256: 32 bytes).
  size_t maxKeyBytes = 64;
  /// The longest SPN, domain, account or source name.
  size_t maxNameBytes = 512;
};

class KeyCache {
 public:
  explicit KeyCache(KeyCacheLimits limits = {}) : limits_(limits) {}

  const KeyCacheLimits& limits() const { return limits_; }
  /// The keys of `spn` (compared canonically: case-insensitive), or nullptr.
  const SpnKeys* find(std::string_view spn) const;
  /// Keeps `keys` for its SPN, replacing what was there. Refused (false, with `why`) when it is
  /// over a per-entry cap or has no key. Over maxSpns, the entry fetched longest ago is dropped.
  bool put(SpnKeys keys, std::string* why = nullptr);
  bool erase(std::string_view spn);
  void clear() { entries_.clear(); }
  size_t size() const { return entries_.size(); }
  /// Every entry, in SPN order.
  std::vector<const SpnKeys*> entries() const;
  /// True when a ticket with `kvno` shows the cached keys of `spn` are older than the account's
  /// current password (MS-KILE: the kvno rises with every password change): refetch.
  bool isStale(std::string_view spn, uint32_t kvno) const;

 private:
  KeyCacheLimits limits_;
  std::map<std::string, SpnKeys> entries_;  ///< by canonical SPN
};

}  // namespace bh::secure::encryption_service
