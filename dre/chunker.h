#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/bytes.h"

namespace bh::dre {

/// Chunk size bounds. avgSize must be a power of two; min < avg < max.
struct ChunkerConfig {
  uint32_t minSize = 2 * 1024;
  uint32_t avgSize = 8 * 1024;
  uint32_t maxSize = 64 * 1024;

  /// @return an empty string when usable, otherwise why not.
  std::string validate() const;
};

/// FastCDC content-defined chunker: a gear rolling hash (one shift + one add per byte), no cut
/// before minSize, normalized chunking (a stricter mask before avgSize and a looser one after,
/// which narrows the size spread), and a forced cut at maxSize. Cut points depend only on the
/// bytes since the chunk start, so an insertion re-synchronizes within a chunk or two.
class Chunker {
 public:
  explicit Chunker(const ChunkerConfig& config);

  /// Finds the end of the chunk that starts at data[0].
  /// @return the chunk length, or 0 when `data` holds no cut yet (fewer than maxSize bytes and
  /// no content cut): the caller waits for more bytes or, at a flush, takes everything.
  size_t findCut(ByteSpan data) const;

  const ChunkerConfig& config() const { return config_; }

 private:
  ChunkerConfig config_;
  uint64_t maskSmall_;  ///< used before avgSize: harder to match
  uint64_t maskLarge_;  ///< used after avgSize: easier to match
};

}  // namespace bh::dre
