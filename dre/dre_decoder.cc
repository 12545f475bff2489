#include "dre/dre_decoder.h"

#include <algorithm>

#include "dre/crc32c.h"

namespace bh::dre {

DreDecoder::DreDecoder(ChunkCache& cache, const DreConfig& config)
    : cache_(cache), config_(config) {}

bool DreDecoder::openBlock(ByteSpan block, const BlockHeader& h, ByteSpan& instructions,
                           std::string& error) {
  ByteSpan payload = block.subspan(kBlockHeaderBytes, h.payloadBytes);
  if ((h.flags & kBlockFlagZstd) != 0) {
    if (!lz_.decompress(payload, h.rawBytes, scratch_)) {
      error = "dre block: zstd payload does not decode to the declared length";
      return false;
    }
    instructions = scratch_;
  } else {
    instructions = payload;
  }
  if (crc32c(instructions) != h.rawCrc) {
    error = "dre block: instruction checksum mismatch";
    return false;
  }
  return true;
}

BlockResult DreDecoder::decodeBlock(ByteSpan in, Bytes& out, std::vector<MissingChunk>& missing) {
  BlockHeader h;
  ParseResult framed = parseBlockHeader(in, config_.maxBlockBytes, h);
  if (framed.status == ParseStatus::NeedMore) {
    return {BlockStatus::NeedMore, 0, framed.needed, {}};
  }
  if (framed.status == ParseStatus::Error) {
    return {BlockStatus::Error, 0, 0, framed.error};
  }
  ByteSpan instructions;
  std::string error;
  if (!openBlock(in, h, instructions, error)) {
    return {BlockStatus::Error, 0, 0, error};
  }
  const bool repair = (h.flags & kBlockFlagRepair) != 0;
  // Measure before copying: a block's references decode to megabytes from a few kilobytes of
  // instructions, so what they add up to is checked against the cap first, and the output is
  // sized once instead of growing (and moving) through every doubling.
  InstructionTotals totals;
  if (!measureInstructions(instructions, config_.chunker.maxSize, totals)) {
    return {BlockStatus::Error, 0, 0, "dre block: bad instruction"};
  }
  if (totals.referenceBytes > config_.maxBlockReferencedBytes()) {
    return {BlockStatus::Error, 0, 0, "dre block: references beyond the block cap"};
  }
  const size_t outStart = out.size();
  if (!repair) {
    const size_t need = outStart + totals.referenceBytes + totals.literalBytes;
    if (out.capacity() < need) {
      out.reserve(std::max(need, out.capacity() * 2));
    }
  }
  const size_t missingStart = missing.size();
  DreStats delta;
  bool references = false;
  ByteReader r(instructions);
  while (r.remaining() > 0) {
    const uint8_t op = r.u8();
    if (op == static_cast<uint8_t>(Op::Reference)) {
      ByteSpan fpBytes = r.take(Fingerprint::kBytes);
      uint32_t length = 0;
      if (!readVarint(r, length) || length == 0 || length > config_.chunker.maxSize || repair) {
        out.resize(outStart);
        return {BlockStatus::Error, 0, 0, "dre block: bad reference"};
      }
      Fingerprint fp;
      std::memcpy(fp.bytes.data(), fpBytes.data(), Fingerprint::kBytes);
      references = true;
      ++delta.referenceChunks;
      delta.referenceBytes += length;
      // Resent chunks were hashed on arrival (stash key = their own hash).
      auto s = stash_.find(fp);
      if (s != stash_.end() && s->second.size() == length) {
        out.insert(out.end(), s->second.begin(), s->second.end());
      } else if (cache_.lookup(fp, length, out) != ChunkCache::Lookup::Hit) {
        MissingChunk m{fp, length};
        if (std::find(missing.begin() + static_cast<ptrdiff_t>(missingStart), missing.end(), m) ==
            missing.end()) {
          missing.push_back(m);
        }
      }
      continue;
    }
    uint32_t length = 0;
    if ((op != static_cast<uint8_t>(Op::ChunkLiteral) &&
         op != static_cast<uint8_t>(Op::RawLiteral)) ||
        !readVarint(r, length) || length == 0 || length > config_.chunker.maxSize ||
        (repair && op != static_cast<uint8_t>(Op::ChunkLiteral))) {
      out.resize(outStart);
      return {BlockStatus::Error, 0, 0, "dre block: bad instruction"};
    }
    ByteSpan data = r.take(length);
    if (!r.ok()) {
      break;
    }
    if (op == static_cast<uint8_t>(Op::ChunkLiteral)) {
      // The name is computed here, never taken from the sender.
      cache_.insert(fingerprintOf(data), data);
      ++delta.literalChunks;
      delta.literalBytes += length;
    } else {
      delta.rawLiteralBytes += length;
    }
    if (!repair) {
      out.insert(out.end(), data.begin(), data.end());
    }
  }
  if (!r.ok()) {
    out.resize(outStart);
    return {BlockStatus::Error, 0, 0, "dre block: truncated instruction"};
  }
  if (missing.size() > missingStart) {
    out.resize(outStart);
    stats_.missingChunks += missing.size() - missingStart;
    return {BlockStatus::Missing, 0, 0, {}};
  }
  if (references && h.epoch != cache_.epoch()) {
    staleEpoch_ = true;
  }
  delta.originalBytes = out.size() - outStart;
  delta.optimizedBytes = framed.consumed;
  delta.blocks = 1;
  delta.lzBlocks = (h.flags & kBlockFlagZstd) != 0 ? 1 : 0;
  stats_.add(delta);
  return {BlockStatus::Done, framed.consumed, 0, {}};
}

DecodeResult DreDecoder::decode(ByteSpan in, Bytes& out) {
  DecodeResult result;
  if (failed_) {
    result.status = DecodeStatus::Error;
    result.error = failure_;
    return result;
  }
  ByteSpan view = in;
  if (!buffer_.empty()) {
    buffer_.insert(buffer_.end(), in.begin(), in.end());
    view = buffer_;
  }
  size_t pos = 0;
  // Retrying a stalled block is pointless until something it may need has arrived.
  const bool hopeless = !stalledOn_.empty() && repairs_ == stalledAtRepairs_ &&
                        cache_.insertCount() == stalledAtInserts_;
  if (hopeless) {
    result.status = DecodeStatus::Missing;
    result.missing = stalledOn_;
  }
  while (!hopeless && pos < view.size()) {
    BlockResult b = decodeBlock(view.subspan(pos), out, result.missing);
    if (b.status == BlockStatus::Done) {
      pos += b.consumed;
      // Resent chunks served the block that stalled; later blocks go to the cache.
      stash_.clear();
      stashBytes_ = 0;
      stalledOn_.clear();
      continue;
    }
    if (b.status == BlockStatus::Missing) {
      result.status = DecodeStatus::Missing;
      stalledOn_ = result.missing;
      stalledAtInserts_ = cache_.insertCount();
      stalledAtRepairs_ = repairs_;
      break;
    }
    if (b.status == BlockStatus::Error) {
      failed_ = true;
      failure_ = b.error;
      buffer_.clear();
      result.status = DecodeStatus::Error;
      result.error = b.error;
      return result;
    }
    break;  // NeedMore
  }
  if (view.data() == buffer_.data()) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<ptrdiff_t>(pos));
  } else {
    buffer_.assign(view.begin() + static_cast<ptrdiff_t>(pos), view.end());
  }
  if (buffer_.size() > config_.maxDecoderBacklogBytes) {
    failed_ = true;
    failure_ = "dre decoder: backlog beyond its cap";
    buffer_.clear();
    result.status = DecodeStatus::Error;
    result.error = failure_;
    result.missing.clear();
    return result;
  }
  result.staleEpoch = staleEpoch_;
  staleEpoch_ = false;
  return result;
}

ParseResult DreDecoder::applyRepair(ByteSpan blocks) {
  ++repairs_;
  size_t pos = 0;
  while (pos < blocks.size()) {
    BlockHeader h;
    ParseResult framed = parseBlockHeader(blocks.subspan(pos), config_.maxBlockBytes, h);
    if (framed.status != ParseStatus::Done) {
      return ParseResult::fail(
          framed.status == ParseStatus::NeedMore ? "dre repair: truncated block" : framed.error);
    }
    if ((h.flags & kBlockFlagRepair) == 0) {
      return ParseResult::fail("dre repair: not a repair block");
    }
    ByteSpan instructions;
    std::string error;
    if (!openBlock(blocks.subspan(pos), h, instructions, error)) {
      return ParseResult::fail(error);
    }
    ByteReader r(instructions);
    while (r.remaining() > 0) {
      uint32_t length = 0;
      if (r.u8() != static_cast<uint8_t>(Op::ChunkLiteral) || !readVarint(r, length) ||
          length == 0 || length > config_.chunker.maxSize) {
        return ParseResult::fail("dre repair: bad instruction");
      }
      ByteSpan data = r.take(length);
      if (!r.ok()) {
        return ParseResult::fail("dre repair: truncated instruction");
      }
      const Fingerprint fp = fingerprintOf(data);
      cache_.insert(fp, data);
      if (stash_.count(fp) == 0) {
        if (stashBytes_ + length > config_.maxRepairStashBytes) {
          return ParseResult::fail("dre repair: more resent data than the stash cap");
        }
        stash_.emplace(fp, Bytes(data.begin(), data.end()));
        stashBytes_ += length;
      }
    }
    pos += framed.consumed;
  }
  return ParseResult::done(pos);
}

}  // namespace bh::dre
