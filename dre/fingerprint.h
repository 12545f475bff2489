#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "common/bytes.h"

namespace bh::dre {

/// Strong chunk name: the first 128 bits of SHA-256 over the chunk bytes. 128 bits keep the
/// chance of an accidental collision far below the undetected-error rate of the links we carry,
/// and halve the reference size against the full 256 (the hashing cost is identical).
struct Fingerprint {
  static constexpr size_t kBytes = 16;
  std::array<uint8_t, kBytes> bytes{};

  bool operator==(const Fingerprint& other) const = default;
  std::string toHex() const { return bh::toHex(ByteSpan(bytes.data(), bytes.size())); }
};

/// SHA-256 output is uniform, so its first 8 bytes are already a good hash-table key.
struct FingerprintHash {
  size_t operator()(const Fingerprint& f) const {
    uint64_t v;
    std::memcpy(&v, f.bytes.data(), sizeof(v));
    return static_cast<size_t>(v);
  }
};

/// Computes the fingerprint of `data` (OpenSSL EVP SHA-256, one reusable context per thread).
Fingerprint fingerprintOf(ByteSpan data);

}  // namespace bh::dre
