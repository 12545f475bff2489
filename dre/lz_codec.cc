#include "dre/lz_codec.h"

#include <zstd.h>

namespace bh::dre {

namespace {

// Every block is one zstd frame of its own, compressed and decompressed in one shot: a context
// carries nothing from one block to the next but its workspace (about 94 KiB to decompress,
// tens to hundreds of KiB to compress, kept for reuse). So one pair per thread serves every
// flow; a pair per flow cost up to ~170 KiB per optimized connection once it had compressed
// and decompressed a block (bench/mapi_memory.sh, heaptrack).
struct ZstdContexts {
  ZSTD_CCtx* c = nullptr;
  ZSTD_DCtx* d = nullptr;
  ~ZstdContexts() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
};
thread_local ZstdContexts tContexts;

ZSTD_CCtx* threadCCtx() {
  if (tContexts.c == nullptr) {
    tContexts.c = ZSTD_createCCtx();
  }
  return tContexts.c;
}

ZSTD_DCtx* threadDCtx() {
  if (tContexts.d == nullptr) {
    tContexts.d = ZSTD_createDCtx();
  }
  return tContexts.d;
}

}  // namespace

LzCompressor::LzCompressor(int level, uint32_t minSavingPercent, uint32_t maxBackoffBlocks)
    : level_(level),
      minSavingPercent_(minSavingPercent),
      maxBackoff_(maxBackoffBlocks == 0 ? 1 : maxBackoffBlocks) {}

bool LzCompressor::compress(ByteSpan raw, bool literalHeavy, Bytes& out) {
  if (level_ <= 0 || raw.empty()) {
    return false;
  }
  if (skipLeft_ > 0 && literalHeavy) {
    --skipLeft_;
    ++skipped_;
    return false;
  }
  // The thread's context, with this compressor's parameters (the last user may have had others).
  ZSTD_CCtx* ctx = threadCCtx();
  if (ctx == nullptr) {
    return false;
  }
  ZSTD_CCtx_reset(ctx, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, level_);
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_checksumFlag, 0);
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_contentSizeFlag, 1);
  const size_t before = out.size();
  out.resize(before + ZSTD_compressBound(raw.size()));
  const size_t n =
      ZSTD_compress2(ctx, out.data() + before, out.size() - before, raw.data(), raw.size());
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
bool LzDecompressor::decompress(ByteSpan frame, size_t rawBytes, Bytes& out) {
  ZSTD_DCtx* ctx = threadDCtx();
  if (ctx == nullptr) {
    return false;
  }
  out.resize(rawBytes);
  const size_t n = ZSTD_decompressDCtx(ctx, out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n) || n != rawBytes) {
    ZSTD_DCtx_reset(ctx, ZSTD_reset_session_only);
    out.clear();
    return false;
  }
  return true;
}

}  // namespace bh::dre
