#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "dre/chunker.h"

namespace bh::dre {

/// Settings of one DRE stream. Both peers must agree on the caps (maxBlockBytes,
/// chunker.maxSize, blockMaxReferencedBytes); the other fields only steer the encoder.
struct DreConfig {
  ChunkerConfig chunker;
  size_t blockTargetBytes = 256 * 1024;  ///< encoder seals a block once its instructions reach this
  size_t maxBlockBytes = 1 << 20;        ///< cap on a block's (decompressed) instruction stream
  int zstdLevel = 3;                     ///< 0 turns LZ off
  uint32_t lzMinSavingPercent = 5;       ///< a zstd block must save this much or goes raw
  uint32_t lzMaxBackoffBlocks = 64;      ///< blocks skipped (doubling) after a useless try
  uint32_t minCachedChunkBytes = 64;     ///< shorter flush tails are sent raw and not cached
  size_t maxDecoderBacklogBytes = 8 << 20;  ///< cap on bytes a decoder holds (partial + stalled)
  size_t maxRepairStashBytes = 8 << 20;     ///< cap on resent chunks held for a stalled block
  /// The encoder seals a block once its references cover this many original bytes, so that a
  /// receiver missing every chunk of one block can hold them all in its repair stash.
  size_t blockMaxReferencedBytes = 4 << 20;

  /// The decoder's cap on the bytes one block's references decode to: the encoder seals a block
  /// once its references reach blockMaxReferencedBytes, so the last chunk may pass it by less
  /// than one chunk. Without it, 1 MiB of references to one cached 64 KiB chunk would decode to
  /// 3 GiB.
  size_t maxBlockReferencedBytes() const { return blockMaxReferencedBytes + chunker.maxSize; }

  /// @return an empty string when usable, otherwise why not.
  std::string validate() const;
};

}  // namespace bh::dre
