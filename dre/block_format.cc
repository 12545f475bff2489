#include "dre/block_format.h"

#include <zstd.h>

namespace bh::dre {

void writeBlockHeader(uint8_t* dst, const BlockHeader& h) {
  Bytes tmp;
  tmp.reserve(kBlockHeaderBytes);
  ByteWriter w(tmp);
  w.u8(kBlockMagic);
  w.u8(h.flags);
  w.u32(h.payloadBytes);
  w.u32(h.rawBytes);
  w.u64(h.epoch);
  w.u32(h.rawCrc);
  std::memcpy(dst, tmp.data(), kBlockHeaderBytes);
}

ParseResult parseBlockHeader(ByteSpan in, size_t maxBlockBytes, BlockHeader& h) {
  if (!in.empty() && in[0] != kBlockMagic) {
    return ParseResult::fail("dre block: bad magic");
  }
  if (in.size() >= 2 && (in[1] & ~(kBlockFlagZstd | kBlockFlagRepair)) != 0) {
    return ParseResult::fail("dre block: unknown flags");
  }
  if (in.size() < kBlockHeaderBytes) {
    return ParseResult::needMore(kBlockHeaderBytes);
  }
  ByteReader r(in);
  r.u8();
  h.flags = r.u8();
  h.payloadBytes = r.u32();
  h.rawBytes = r.u32();
  h.epoch = r.u64();
  h.rawCrc = r.u32();
  if (h.rawBytes == 0 || h.rawBytes > maxBlockBytes) {
    return ParseResult::fail("dre block: instruction length beyond the cap");
  }
  if ((h.flags & kBlockFlagZstd) != 0) {
    if (h.payloadBytes == 0 || h.payloadBytes > ZSTD_compressBound(maxBlockBytes)) {
      return ParseResult::fail("dre block: compressed length beyond the cap");
    }
  } else if (h.payloadBytes != h.rawBytes) {
    return ParseResult::fail("dre block: raw block lengths disagree");
  }
  const size_t total = kBlockHeaderBytes + size_t{h.payloadBytes};
  if (in.size() < total) {
    return ParseResult::needMore(total);
  }
  return ParseResult::done(total);
}

void appendVarint(Bytes& out, uint32_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

bool readVarint(ByteReader& r, uint32_t& v) {
  v = 0;
  for (int i = 0; i < 5; ++i) {
    const uint8_t b = r.u8();
    if (!r.ok()) {
      return false;
    }
    if (i == 4 && b > 0x0F) {
      r.fail();
      return false;
    }
    v |= uint32_t{b & 0x7Fu} << (7 * i);
    if ((b & 0x80) == 0) {
      return true;
    }
  }
  r.fail();
  return false;
}

bool measureInstructions(ByteSpan instructions, uint32_t maxChunkBytes, InstructionTotals& totals) {
  totals = {};
  ByteReader r(instructions);
  while (r.remaining() > 0) {
    const uint8_t op = r.u8();
    const bool reference = op == static_cast<uint8_t>(Op::Reference);
    if (!reference && op != static_cast<uint8_t>(Op::ChunkLiteral) &&
        op != static_cast<uint8_t>(Op::RawLiteral)) {
      return false;
    }
    if (reference) {
      r.take(Fingerprint::kBytes);
    }
    uint32_t length = 0;
    if (!readVarint(r, length) || length == 0 || length > maxChunkBytes) {
      return false;
    }
    if (reference) {
      totals.referenceBytes += length;
    } else {
      r.take(length);
      totals.literalBytes += length;
    }
    if (!r.ok()) {
      return false;
    }
  }
  return true;
}

void encodeResendRequest(std::span<const MissingChunk> missing, Bytes& out) {
  ByteWriter w(out);
  w.u8(kResendMagic);
  w.u32(static_cast<uint32_t>(missing.size()));
  for (const MissingChunk& m : missing) {
    w.bytes(ByteSpan(m.fp.bytes.data(), m.fp.bytes.size()));
    w.u32(m.length);
  }
}

ParseResult parseResendRequest(ByteSpan in, size_t maxEntries, uint32_t maxLength,
                               std::vector<MissingChunk>& missing) {
  if (!in.empty() && in[0] != kResendMagic) {
    return ParseResult::fail("dre resend: bad magic");
  }
  if (in.size() < 5) {
    return ParseResult::needMore(5);
  }
  ByteReader r(in);
  r.u8();
  const uint32_t count = r.u32();
  if (count == 0 || count > maxEntries) {
    return ParseResult::fail("dre resend: entry count beyond the cap");
  }
  const size_t total = 5 + size_t{count} * (Fingerprint::kBytes + 4);
  if (in.size() < total) {
    return ParseResult::needMore(total);
  }
  missing.clear();
  for (uint32_t i = 0; i < count; ++i) {
    MissingChunk m;
    ByteSpan fp = r.take(Fingerprint::kBytes);
    std::memcpy(m.fp.bytes.data(), fp.data(), Fingerprint::kBytes);
    m.length = r.u32();
    if (m.length == 0 || m.length > maxLength) {
      return ParseResult::fail("dre resend: chunk length beyond the cap");
    }
    missing.push_back(m);
  }
  return ParseResult::done(total);
}

}  // namespace bh::dre
