#pragma once

#include <cstdint>

#include "common/bytes.h"

namespace bh::proxy::codec {

/// The Internet checksum of RFC 1071: the 16-bit one's-complement of the one's-complement sum of
/// the data taken as big-endian 16-bit words. Bytes may be added in pieces of any length; an odd
/// piece leaves the accumulator mid-word so the next piece continues the same word (RFC 1071
/// section 2(B): the sum is independent of how the data is split).
class InternetChecksum {
 public:
  void add(ByteSpan bytes);
  void addU16(uint16_t v);
  void addU32(uint32_t v);
  /// @return the one's-complement of the folded sum, the value written into a checksum field.
  uint16_t checksum() const;

 private:
  uint64_t sum_ = 0;
  bool odd_ = false;  ///< the next byte is the low half of a word
};

}  // namespace bh::proxy::codec
