#include "dre/lz_codec.h"

#include <zstd.h>

namespace bh::dre {

LzCompressor::LzCompressor(int level, uint32_t minSavingPercent, uint32_t maxBackoffBlocks)
    : level_(level),
      minSavingPercent_(minSavingPercent),
      maxBackoff_(maxBackoffBlocks == 0 ? 1 : maxBackoffBlocks) {}

LzCompressor::~LzCompressor() {
  ZSTD_freeCCtx(ctx_);
}

bool LzCompressor::compress(ByteSpan raw, bool literalHeavy, Bytes& out) {
  if (level_ <= 0 || raw.empty()) {
    return false;
  }
  if (skipLeft_ > 0 && literalHeavy) {
    --skipLeft_;
    ++skipped_;
    return false;
  }
  // Created on first use: flows that never compress (LZ off, all references) pay nothing.
  if (ctx_ == nullptr) {
    ctx_ = ZSTD_createCCtx();
    if (ctx_ == nullptr) {
      return false;
    }
    ZSTD_CCtx_setParameter(ctx_, ZSTD_c_compressionLevel, level_);
    ZSTD_CCtx_setParameter(ctx_, ZSTD_c_checksumFlag, 0);
    ZSTD_CCtx_setParameter(ctx_, ZSTD_c_contentSizeFlag, 1);
  }
  const size_t before = out.size();
  out.resize(before + ZSTD_compressBound(raw.size()));
  const size_t n =
      ZSTD_compress2(ctx_, out.data() + before, out.size() - before, raw.data(), raw.size());
  const bool useful =
      !ZSTD_isError(n) && n * 100 <= raw.size() * (100 - uint64_t{minSavingPercent_});
  if (!useful) {
    out.resize(before);
    ++useless_;
    if (!literalHeavy) {
      return false;
    }
    skipLeft_ = backoff_;
    backoff_ = backoff_ * 2 > maxBackoff_ ? maxBackoff_ : backoff_ * 2;
    return false;
  }
  out.resize(before + n);
  backoff_ = 1;
  ++compressed_;
  return true;
}

// One-shot decompression writes straight into the caller's buffer (at most maxBlockBytes) and
// allocates no window, so a frame declaring a huge window costs no memory.
LzDecompressor::LzDecompressor() : ctx_(ZSTD_createDCtx()) {}

LzDecompressor::~LzDecompressor() {
  ZSTD_freeDCtx(ctx_);
}

bool LzDecompressor::decompress(ByteSpan frame, size_t rawBytes, Bytes& out) {
  if (ctx_ == nullptr) {
    return false;
  }
  out.resize(rawBytes);
  const size_t n = ZSTD_decompressDCtx(ctx_, out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n) || n != rawBytes) {
    ZSTD_DCtx_reset(ctx_, ZSTD_reset_session_only);
    out.clear();
    return false;
  }
  return true;
}

}  // namespace bh::dre
