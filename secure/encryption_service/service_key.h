#pragma once

// An Exchange server account's long-term Kerberos keys, as the encryption service keeps them: the
// keys that open its service tickets (MS-KILE 3.4.5.1: the AP-REQ's ticket is encrypted in the
// service's key of the ticket's etype and kvno). Secret: wiped when dropped, never logged or shown
// (show prints the etype and kvno only).

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace bh::secure::encryption_service {

/// RFC 3961 section 8 / RFC 8009 etype numbers the service handles.
constexpr int32_t kEtypeAes256 = 18;  ///< aes256-cts-hmac-sha1-96
constexpr int32_t kEtypeAes128 = 17;  ///< aes128-cts-hmac-sha1-96
constexpr int32_t kEtypeRc4 = 23;     ///< arcfour-hmac (RFC 4757): the key is the NT hash

/// "aes256-cts-hmac-sha1-96", ... or "etype N".
std::string etypeName(int32_t etype);

/// Overwrites `b` with zeros the compiler keeps (OPENSSL_cleanse), then empties it.
void wipe(Bytes& b);

struct ServiceKey {
  int32_t etype = 0;
  uint32_t kvno = 0;
  Bytes value;
};

/// What one retrieval brought for one SPN.
struct SpnKeys {
  /// As asked ("exchangeMDB/exch1.example.com"); the cache compares it canonically.
  std::string spn;
  std::string domain;
  /// The account the keys belong to ("EXCH1$"), as the directory named it.
  std::string account;
  /// The identity that fetched them, or the keytab path for a keytab identity.
  std::string source;
  /// When they arrived (Unix seconds).
  int64_t fetchedAt = 0;
  std::vector<ServiceKey> keys;

  SpnKeys() = default;
  SpnKeys(const SpnKeys&) = default;
  SpnKeys& operator=(const SpnKeys&) = default;
  SpnKeys(SpnKeys&&) noexcept = default;
  SpnKeys& operator=(SpnKeys&&) noexcept = default;
  ~SpnKeys();

  /// The highest kvno among the keys (0 when none).
  uint32_t kvno() const;
  /// The key for a ticket of `etype` and `kvno`, or nullptr.
  const ServiceKey* find(int32_t etype, uint32_t kvno) const;
  /// "aes256-cts-hmac-sha1-96 kvno 2, arcfour-hmac kvno 2": what show and the log may print.
  std::string describe() const;
};

}  // namespace bh::secure::encryption_service
