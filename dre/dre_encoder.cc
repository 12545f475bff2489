#include "dre/dre_encoder.h"

#include "dre/crc32c.h"

namespace bh::dre {

DreEncoder::DreEncoder(ChunkCache& cache, PeerLedger& ledger, const DreConfig& config)
    : cache_(cache),
      ledger_(ledger),
      config_(config),
      chunker_(config.chunker),
      lz_(config.zstdLevel, config.lzMinSavingPercent, config.lzMaxBackoffBlocks) {}

void DreEncoder::encode(ByteSpan in, bool flush, Bytes& out) {
  stats_.originalBytes += in.size();
  const size_t outBefore = out.size();
  // Cut straight from the caller's buffer when nothing is pending; copy only the tail.
  ByteSpan view = in;
  if (!pending_.empty()) {
    pending_.insert(pending_.end(), in.begin(), in.end());
    view = pending_;
  }
  size_t pos = 0;
  while (pos < view.size()) {
    ByteSpan rest = view.subspan(pos);
    size_t cut = chunker_.findCut(rest);
    if (cut == 0) {
      if (!flush) {
        break;
      }
      cut = rest.size();
    }
    emitChunk(rest.first(cut));
    pos += cut;
    if (instructions_.size() >= config_.blockTargetBytes ||
        blockReferencedBytes_ >= config_.blockMaxReferencedBytes) {
      sealBlock(0, out);
    }
  }
  if (view.data() == pending_.data()) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(pos));
  } else {
    pending_.assign(view.begin() + static_cast<ptrdiff_t>(pos), view.end());
  }
  if (flush && !instructions_.empty()) {
    sealBlock(0, out);
  }
  if (flush && pending_.empty()) {
    // The burst is over and nothing is held: give the buffers back. Kept, their capacity (up
    // to a block and a read) stayed with every idle flow that had ever carried data.
    Bytes().swap(pending_);
    Bytes().swap(instructions_);
  }
  stats_.optimizedBytes += out.size() - outBefore;
}

void DreEncoder::emitChunk(ByteSpan chunk) {
  if (instructions_.empty()) {
    blockEpoch_ = ledger_.epoch();
  }
  const uint32_t length = static_cast<uint32_t>(chunk.size());
  if (length < config_.minCachedChunkBytes) {
    instructions_.push_back(static_cast<uint8_t>(Op::RawLiteral));
    appendVarint(instructions_, length);
    instructions_.insert(instructions_.end(), chunk.begin(), chunk.end());
    stats_.rawLiteralBytes += length;
    blockLiteralBytes_ += length;
    return;
  }
  const Fingerprint fp = fingerprintOf(chunk);
  if (ledger_.holds(fp, length)) {
    instructions_.push_back(static_cast<uint8_t>(Op::Reference));
    instructions_.insert(instructions_.end(), fp.bytes.begin(), fp.bytes.end());
    appendVarint(instructions_, length);
    ++stats_.referenceChunks;
    stats_.referenceBytes += length;
    blockReferencedBytes_ += length;
    return;
  }
  instructions_.push_back(static_cast<uint8_t>(Op::ChunkLiteral));
  appendVarint(instructions_, length);
  instructions_.insert(instructions_.end(), chunk.begin(), chunk.end());
  cache_.insert(fp, chunk);
  ledger_.record(fp, length);
  ++stats_.literalChunks;
  stats_.literalBytes += length;
  blockLiteralBytes_ += length;
}

void DreEncoder::sealBlock(uint8_t flags, Bytes& out) {
  BlockHeader h;
  h.flags = flags;
  h.rawBytes = static_cast<uint32_t>(instructions_.size());
  h.epoch = blockEpoch_;
  h.rawCrc = crc32c(instructions_);
  const size_t headerAt = out.size();
  out.resize(headerAt + kBlockHeaderBytes);
  const bool literalHeavy = blockLiteralBytes_ * 2 >= instructions_.size();
  if (lz_.compress(instructions_, literalHeavy, out)) {
    h.flags |= kBlockFlagZstd;
    ++stats_.lzBlocks;
  } else {
    out.insert(out.end(), instructions_.begin(), instructions_.end());
  }
  h.payloadBytes = static_cast<uint32_t>(out.size() - headerAt - kBlockHeaderBytes);
  writeBlockHeader(out.data() + headerAt, h);
  instructions_.clear();
  blockLiteralBytes_ = 0;
  blockReferencedBytes_ = 0;
  ++stats_.blocks;
}

bool DreEncoder::answerResend(std::span<const MissingChunk> missing, Bytes& out) {
  // Repair blocks are built aside so that an open data block is not disturbed.
  Bytes saved;
  saved.swap(instructions_);
  const uint64_t savedEpoch = blockEpoch_;
  // The open block's counters too: sealing the repair blocks resets them, and an open block
  // that forgot its references went on past blockMaxReferencedBytes, beyond what the
  // receiver's repair stash (and its block cap) hold.
  const size_t savedLiteralBytes = blockLiteralBytes_;
  const size_t savedReferencedBytes = blockReferencedBytes_;
  blockLiteralBytes_ = 0;
  blockEpoch_ = ledger_.epoch();
  Bytes repair;
  Bytes chunk;
  bool ok = true;
  for (const MissingChunk& m : missing) {
    chunk.clear();
    if (m.length == 0 || m.length > config_.chunker.maxSize ||
        cache_.lookup(m.fp, m.length, chunk) != ChunkCache::Lookup::Hit) {
      ledger_.forget(m.fp);
      ok = false;
      break;
    }
    instructions_.push_back(static_cast<uint8_t>(Op::ChunkLiteral));
    appendVarint(instructions_, m.length);
    instructions_.insert(instructions_.end(), chunk.begin(), chunk.end());
    blockLiteralBytes_ += m.length;
    ledger_.record(m.fp, m.length);
    ++stats_.resentChunks;
    if (instructions_.size() >= config_.blockTargetBytes) {
      sealBlock(kBlockFlagRepair, repair);
    }
  }
  if (ok && !instructions_.empty()) {
    sealBlock(kBlockFlagRepair, repair);
  }
  instructions_.swap(saved);
  blockEpoch_ = savedEpoch;
  blockLiteralBytes_ = savedLiteralBytes;
  blockReferencedBytes_ = savedReferencedBytes;
  if (!ok) {
    return false;
  }
  stats_.optimizedBytes += repair.size();
  out.insert(out.end(), repair.begin(), repair.end());
  return true;
}

}  // namespace bh::dre
