#pragma once

#include <span>

#include "common/bytes.h"
#include "dre/block_format.h"
#include "dre/chunk_cache.h"
#include "dre/chunker.h"
#include "dre/dre_config.h"
#include "dre/dre_stats.h"
#include "dre/lz_codec.h"
#include "dre/peer_ledger.h"

namespace bh::dre {

/// Sending half of one flow direction. Cuts the byte stream into content-defined chunks, sends
/// a Reference for each chunk the peer's ledger says it holds and a ChunkLiteral otherwise
/// (storing the chunk in our cache, so a later resend request can be answered), and packs the
/// instructions into blocks that zstd compresses when it pays.
///
/// Bounded: at most chunker.maxSize input bytes plus one block of instructions are held.
class DreEncoder {
 public:
  /// `cache` and `ledger` must outlive the encoder; `config` must pass validate().
  DreEncoder(ChunkCache& cache, PeerLedger& ledger, const DreConfig& config);

  /// Consumes `in` and appends complete blocks to `out`.
  /// @param flush emit everything now (end of a burst / of the stream): the bytes that had no
  /// content cut yet become a final chunk and the current block is sealed.
  void encode(ByteSpan in, bool flush, Bytes& out);

  /// Answers a resend request with repair blocks carrying the chunks as literals.
  /// @return false if any chunk is no longer in our cache: the flow must be reset. `out` then
  /// holds nothing new.
  bool answerResend(std::span<const MissingChunk> missing, Bytes& out);

  const DreStats& stats() const { return stats_; }
  /// Bytes held between calls (input awaiting a cut + instructions of the open block).
  size_t bufferedBytes() const { return pending_.size() + instructions_.size(); }

 private:
  void emitChunk(ByteSpan chunk);
  void sealBlock(uint8_t flags, Bytes& out);

  ChunkCache& cache_;
  PeerLedger& ledger_;
  DreConfig config_;
  Chunker chunker_;
  LzCompressor lz_;
  Bytes pending_;       ///< input bytes not yet cut into a chunk
  Bytes instructions_;  ///< instruction stream of the open block
  uint64_t blockEpoch_ = 0;
  size_t blockLiteralBytes_ = 0;     ///< literal payload bytes in the open block
  size_t blockReferencedBytes_ = 0;  ///< original bytes the open block's references stand for
  DreStats stats_;
};

}  // namespace bh::dre
