#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/bytes.h"

namespace bh::fuzz {

/// Shared by the fuzz targets that model segmentation. Splits fuzz input on the separator 01 D5 CA
/// 7A (Suricata's convention) to model segmentation.
inline std::vector<ByteSpan> splitPieces(const uint8_t* data, size_t size) {
  static constexpr uint8_t kSep[4] = {0x01, 0xD5, 0xCA, 0x7A};
  std::vector<ByteSpan> pieces;
  size_t start = 0;
  for (size_t i = 0; i + 4 <= size;) {
    if (std::memcmp(data + i, kSep, 4) == 0) {
      pieces.emplace_back(data + start, i - start);
      i += 4;
      start = i;
    } else {
      ++i;
    }
  }
  pieces.emplace_back(data + start, size - start);
  return pieces;
}

}  // namespace bh::fuzz
