#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "secure/outcome.h"

namespace bh::secure {

/// The store key: 256 bits for AES-256-GCM. Wiped when destroyed; never printed.
class StoreKey {
 public:
  static constexpr size_t kSize = 32;
  StoreKey() = default;
  explicit StoreKey(ByteSpan bytes);
  ~StoreKey();
  StoreKey(const StoreKey& o) : bytes_(o.bytes_), set_(o.set_) {}
  StoreKey& operator=(const StoreKey& o) = default;
  bool set() const { return set_; }
  const uint8_t* data() const { return bytes_.data(); }

 private:
  std::array<uint8_t, kSize> bytes_{};
  bool set_ = false;
};

/// One sealed file of the secure store, format version 1 (all integers big-endian):
///
///   offset  size  field
///   0       4     magic "BHSS"
///   4       1     version (1)
///   5       3     reserved, zero
///   8       12    nonce (random per write; NIST SP 800-38D section 8.2.2)
///   20      4     ciphertext length n (at most kMaxSealedPlaintext)
///   24      n     ciphertext (AES-256-GCM)
///   24+n    16    GCM tag
///
/// The additional authenticated data is the 24-byte header followed by the entry's name, so a
/// file renamed to another entry, or with any header byte changed, does not open.
struct SealedFileView {
  uint8_t version = 0;
  ByteSpan header;  ///< the 24 header bytes (part of the AAD)
  ByteSpan nonce;
  ByteSpan ciphertext;
  ByteSpan tag;
};

inline constexpr size_t kSealedHeaderSize = 24;
inline constexpr size_t kSealedTagSize = 16;
inline constexpr size_t kMaxSealedPlaintext = 1 << 20;

/// Frames a sealed file: Done (consumed = whole file) or Error with the reason; a file is read
/// whole, so a short one is an Error ("truncated"), never NeedMore.
ParseResult parseSealedFile(ByteSpan file, SealedFileView& out);

/// Seals `plaintext` as entry `name`.
Outcome<Bytes> sealEntry(const StoreKey& key, const std::string& name, ByteSpan plaintext);

/// Opens entry `name`; fails on a framing error, or if the tag does not verify (tampered file,
/// another entry's file, or another key: GCM cannot tell these apart).
Outcome<Bytes> openEntry(const StoreKey& key, const std::string& name, ByteSpan file);

}  // namespace bh::secure
