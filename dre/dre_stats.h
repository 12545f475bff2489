#pragma once

#include <cstdint>
#include <string>

namespace bh::dre {

/// Counters of one DRE stream direction. On the encoder "original" is what it was given and
/// "optimized" what it put on the wire; on the decoder the same pair seen from the other end.
struct DreStats {
  uint64_t originalBytes = 0;
  uint64_t optimizedBytes = 0;
  uint64_t blocks = 0;
  uint64_t lzBlocks = 0;
  uint64_t literalChunks = 0;
  uint64_t literalBytes = 0;
  uint64_t rawLiteralBytes = 0;
  uint64_t referenceChunks = 0;
  uint64_t referenceBytes = 0;
  uint64_t missingChunks = 0;  ///< decoder: references it could not resolve (before repair)
  uint64_t resentChunks = 0;   ///< encoder: chunks answered to resend requests

  /// 1 - optimized/original (negative when the stream grew); 0 for an empty stream.
  double reduction() const {
    return originalBytes == 0
               ? 0.0
               : 1.0 - static_cast<double>(optimizedBytes) / static_cast<double>(originalBytes);
  }
  /// The reduction ratio as the show commands print it, e.g. "61.0%" (expansion shows "0.0%").
  std::string reductionPercent() const;
  void add(const DreStats& other);
};

}  // namespace bh::dre
