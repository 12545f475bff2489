#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "dre/block_format.h"
#include "dre/chunk_cache.h"
#include "dre/dre_config.h"
#include "dre/dre_stats.h"
#include "dre/lz_codec.h"

namespace bh::dre {

enum class BlockStatus { Done, NeedMore, Missing, Error };

/// Outcome of decoding one block (the pure incremental step).
struct BlockResult {
  BlockStatus status = BlockStatus::Error;
  size_t consumed = 0;  ///< Done: bytes of input the block used
  size_t needed = 0;    ///< NeedMore: total bytes to hold before calling again
  std::string error;    ///< Error: why; never contains payload bytes
};

enum class DecodeStatus { Ok, Missing, Error };

/// Outcome of DreDecoder::decode.
struct DecodeResult {
  DecodeStatus status = DecodeStatus::Ok;
  /// Missing: chunks to request with encodeResendRequest(); decoding resumes after the
  /// answer is given to applyRepair() (then call decode() again, with no new input if none).
  std::vector<MissingChunk> missing;
  /// A block named a cache epoch other than ours: tell the sender our epoch() so its ledger
  /// resets (its references were still verified one by one).
  bool staleEpoch = false;
  std::string error;  ///< Error: the flow must be reset
};

/// Receiving half of one flow direction. A block's output is all or nothing: every reference
/// is resolved from the cache (hash-verified) or from resent chunks before any byte of the
/// block is released, so a wrong byte is never produced; an unresolvable block stalls with the
/// list of missing chunks. Holds at most maxDecoderBacklogBytes of input.
class DreDecoder {
 public:
  /// `cache` must outlive the decoder; `config` must pass validate().
  DreDecoder(ChunkCache& cache, const DreConfig& config);

  /// Consumes stream bytes, appends the original bytes of every complete block to `out`, and
  /// keeps partial (or stalled) input internally.
  DecodeResult decode(ByteSpan in, Bytes& out);

  /// Takes the sender's answer to a resend request (one or more Repair blocks) and keeps the
  /// chunks for the stalled block (and in the cache). @return Done(consumed) or Error.
  ParseResult applyRepair(ByteSpan blocks);

  /// Single-block step: decodes the first block of `in`, appending its original bytes to `out`
  /// on Done (literals go to the cache even when the block stalls; storing is idempotent).
  /// Missing chunks are appended to `missing`.
  BlockResult decodeBlock(ByteSpan in, Bytes& out, std::vector<MissingChunk>& missing);

  /// Our cache's epoch, announced to the sending peer.
  uint64_t cacheEpoch() const { return cache_.epoch(); }
  const DreStats& stats() const { return stats_; }
  size_t bufferedBytes() const { return buffer_.size(); }
  size_t repairStashBytes() const { return stashBytes_; }

 private:
  /// Decompresses and checks one framed block; @return the instruction stream or error.
  bool openBlock(ByteSpan block, const BlockHeader& h, ByteSpan& instructions, std::string& error);

  ChunkCache& cache_;
  DreConfig config_;
  LzDecompressor lz_;
  Bytes scratch_;  ///< decompressed instruction stream
  Bytes buffer_;   ///< undecoded input (partial block, or the stalled block and what follows)
  std::unordered_map<Fingerprint, Bytes, FingerprintHash> stash_;  ///< resent chunks
  size_t stashBytes_ = 0;
  /// While stalled: the missing list, and the cache insert / repair counts when it was
  /// computed. Until a repair arrives or the cache gains chunks, a retry cannot succeed and is
  /// not attempted (new input is only buffered, under the backlog cap).
  std::vector<MissingChunk> stalledOn_;
  uint64_t stalledAtInserts_ = 0;
  uint64_t stalledAtRepairs_ = 0;
  uint64_t repairs_ = 0;
  bool staleEpoch_ = false;
  bool failed_ = false;
  std::string failure_;
  DreStats stats_;
};

}  // namespace bh::dre
