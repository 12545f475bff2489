#pragma once

#include <cstdint>

#include "common/bytes.h"

namespace bh::dre {

/// zstd over one block's instruction stream, skipped when it does not pay: a block that does
/// not shrink by minSavingPercent is sent raw and the next 1, 2, 4, ... maxBackoff blocks are
/// sent raw without trying (the back-off resets on the next block that compresses well).
/// Each block is an independent frame, so the zstd contexts are the thread's, shared by every
/// flow (a context per flow cost up to ~94 KiB to decompress plus the compressor's workspace).
class LzCompressor {
 public:
  LzCompressor(int level, uint32_t minSavingPercent, uint32_t maxBackoffBlocks);
  LzCompressor(const LzCompressor&) = delete;
  LzCompressor& operator=(const LzCompressor&) = delete;

  /// Appends one zstd frame of `raw` to `out` when worthwhile.
  /// @param literalHeavy whether the block is mostly literal bytes. Only such blocks start a
  /// back-off when they do not compress: a block of references (random fingerprints) never
  /// compresses, stands for ~400x its size of original data, and is cheap to try.
  /// @return true if appended; false leaves `out` unchanged (send raw).
  bool compress(ByteSpan raw, bool literalHeavy, Bytes& out);

  uint64_t blocksCompressed() const { return compressed_; }
  uint64_t blocksTriedUseless() const { return useless_; }
  uint64_t blocksSkipped() const { return skipped_; }

 private:
  int level_;
  uint32_t minSavingPercent_;
  uint32_t maxBackoff_;
  uint32_t backoff_ = 1;
  uint32_t skipLeft_ = 0;
  uint64_t compressed_ = 0;
  uint64_t useless_ = 0;
  uint64_t skipped_ = 0;
};

/// The receiving half: decompresses into exactly the declared length, which the caller has
/// already checked against its cap; a frame that would produce more or less is an error.
class LzDecompressor {
 public:
  LzDecompressor() = default;
  LzDecompressor(const LzDecompressor&) = delete;
  LzDecompressor& operator=(const LzDecompressor&) = delete;

  /// Replaces `out` with the `rawBytes` bytes of `frame`. @return false on any mismatch.
  bool decompress(ByteSpan frame, size_t rawBytes, Bytes& out);
};

}  // namespace bh::dre
