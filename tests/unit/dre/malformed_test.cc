#include <doctest/doctest.h>

#include <algorithm>

#include "dre/crc32c.h"
#include "tests/unit/dre/dre_test_util.h"

using namespace bh;
using namespace bh::dre;
using bh::dre::test::Link;

namespace {

/// Builds one raw (uncompressed) block around an instruction stream.
Bytes rawBlock(const Bytes& instructions, uint64_t epoch, uint8_t flags = 0) {
  Bytes out(kBlockHeaderBytes);
  BlockHeader h;
  h.flags = flags;
  h.payloadBytes = static_cast<uint32_t>(instructions.size());
  h.rawBytes = h.payloadBytes;
  h.epoch = epoch;
  h.rawCrc = crc32c(instructions);
  writeBlockHeader(out.data(), h);
  out.insert(out.end(), instructions.begin(), instructions.end());
  return out;
}

DecodeResult decodeFresh(ByteSpan wire, Bytes& out) {
  auto cache = test::memoryCache();
  DreDecoder d(*cache, DreConfig{});
  return d.decode(wire, out);
}

}  // namespace

TEST_CASE("reference to an unknown chunk: Missing, no output") {
  Bytes instr = {static_cast<uint8_t>(Op::RawLiteral), 3, 'a', 'b', 'c',
                 static_cast<uint8_t>(Op::Reference)};
  Fingerprint fp = fingerprintOf(test::randomBytes(100, 1));
  instr.insert(instr.end(), fp.bytes.begin(), fp.bytes.end());
  appendVarint(instr, 100);
  Bytes out;
  DecodeResult r = decodeFresh(rawBlock(instr, 0), out);
  CHECK(r.status == DecodeStatus::Missing);
  REQUIRE(r.missing.size() == 1);
  CHECK(r.missing[0].fp == fp);
  CHECK(r.missing[0].length == 100);
  CHECK(out.empty());
}

TEST_CASE("reference whose length disagrees with the cached chunk is not resolved") {
  auto cache = test::memoryCache();
  Bytes chunk = test::randomBytes(100, 2);
  Fingerprint fp = fingerprintOf(chunk);
  cache->insert(fp, chunk);
  Bytes instr = {static_cast<uint8_t>(Op::Reference)};
  instr.insert(instr.end(), fp.bytes.begin(), fp.bytes.end());
  appendVarint(instr, 99);
  DreDecoder d(*cache, DreConfig{});
  Bytes out;
  CHECK(d.decode(rawBlock(instr, cache->epoch()), out).status == DecodeStatus::Missing);
  CHECK(out.empty());
}

TEST_CASE("malformed blocks are errors, never crashes or output") {
  const Bytes good = {static_cast<uint8_t>(Op::RawLiteral), 2, 'h', 'i'};
  Bytes goodOut;
  CHECK(decodeFresh(rawBlock(good, 0), goodOut).status == DecodeStatus::Ok);
  CHECK(goodOut == Bytes{'h', 'i'});
  Bytes out;

  SUBCASE("bad magic") {
    Bytes b = rawBlock(good, 0);
    b[0] ^= 1;
    CHECK(decodeFresh(b, out).status == DecodeStatus::Error);
  }
  SUBCASE("unknown flag") {
    Bytes b = rawBlock(good, 0, 0x80);
    CHECK(decodeFresh(b, out).status == DecodeStatus::Error);
  }
  SUBCASE("declared length beyond the cap is refused before any payload arrives") {
    Bytes b = rawBlock(good, 0);
    Bytes header(b.begin(), b.begin() + kBlockHeaderBytes);
    uint32_t huge = (1u << 20) + 1;
    std::memcpy(header.data() + 6, &huge, 4);
    std::memcpy(header.data() + 2, &huge, 4);
    CHECK(decodeFresh(header, out).status == DecodeStatus::Error);
  }
  SUBCASE("zstd payload declared far beyond the cap") {
    Bytes b = rawBlock(good, 0, kBlockFlagZstd);
    uint32_t huge = 0x7FFFFFFF;
    std::memcpy(b.data() + 2, &huge, 4);
    CHECK(decodeFresh(b, out).status == DecodeStatus::Error);
  }
  SUBCASE("raw lengths disagree") {
    Bytes b = rawBlock(good, 0);
    b[6] = 3;
    CHECK(decodeFresh(b, out).status == DecodeStatus::Error);
  }
  SUBCASE("checksum mismatch") {
    Bytes b = rawBlock(good, 0);
    b.back() ^= 0x20;
    CHECK(decodeFresh(b, out).status == DecodeStatus::Error);
  }
  SUBCASE("truncated instruction inside a complete block") {
    Bytes instr = {static_cast<uint8_t>(Op::RawLiteral), 5, 'a'};
    CHECK(decodeFresh(rawBlock(instr, 0), out).status == DecodeStatus::Error);
  }
  SUBCASE("unknown opcode") {
    Bytes instr = {9, 1, 'a'};
    CHECK(decodeFresh(rawBlock(instr, 0), out).status == DecodeStatus::Error);
  }
  SUBCASE("zero-length and oversize literals") {
    Bytes zero = {static_cast<uint8_t>(Op::ChunkLiteral), 0};
    CHECK(decodeFresh(rawBlock(zero, 0), out).status == DecodeStatus::Error);
    Bytes big = {static_cast<uint8_t>(Op::ChunkLiteral)};
    appendVarint(big, 65537);
    big.resize(big.size() + 65537, 1);
    CHECK(decodeFresh(rawBlock(big, 0), out).status == DecodeStatus::Error);
  }
  SUBCASE("reference inside a repair block") {
    Bytes instr = {static_cast<uint8_t>(Op::Reference)};
    instr.resize(17, 0);
    appendVarint(instr, 10);
    CHECK(decodeFresh(rawBlock(instr, 0, kBlockFlagRepair), out).status == DecodeStatus::Error);
  }
  SUBCASE("zstd frame that decodes to more than declared") {
    Link link;
    Bytes text = test::textBytes(100000, 3);
    Bytes wire = link.send(text);
    REQUIRE((wire[1] & kBlockFlagZstd) != 0);
    uint32_t smaller = 1000;
    std::memcpy(wire.data() + 6, &smaller, 4);
    CHECK(decodeFresh(wire, out).status == DecodeStatus::Error);
  }
  CHECK(out.empty());
}

TEST_CASE("a block whose references add up beyond the cap is refused before any copy") {
  // 1 MiB of instructions naming one cached 64 KiB chunk would decode to 3 GiB: the decoder
  // measures the block first and refuses it (DreConfig::maxBlockReferencedBytes).
  auto cache = test::memoryCache();
  const DreConfig cfg;
  Bytes chunk = test::randomBytes(cfg.chunker.maxSize, 7);
  Fingerprint fp = fingerprintOf(chunk);
  cache->insert(fp, chunk);
  auto refs = [&](size_t n) {
    Bytes instr;
    for (size_t i = 0; i < n; ++i) {
      instr.push_back(static_cast<uint8_t>(Op::Reference));
      instr.insert(instr.end(), fp.bytes.begin(), fp.bytes.end());
      appendVarint(instr, cfg.chunker.maxSize);
    }
    return instr;
  };
  const size_t atCap = cfg.maxBlockReferencedBytes() / cfg.chunker.maxSize;
  {
    DreDecoder d(*cache, cfg);
    Bytes out;
    CHECK(d.decode(rawBlock(refs(atCap), cache->epoch()), out).status == DecodeStatus::Ok);
    CHECK(out.size() == atCap * cfg.chunker.maxSize);
  }
  {
    DreDecoder d(*cache, cfg);
    Bytes out;
    DecodeResult r = d.decode(rawBlock(refs(atCap + 1), cache->epoch()), out);
    CHECK(r.status == DecodeStatus::Error);
    CHECK(r.error == "dre block: references beyond the block cap");
    CHECK(out.empty());
    CHECK(out.capacity() == 0);
  }
}

TEST_CASE("measureInstructions: totals of a good stream, false on every malformed one") {
  Fingerprint fp = fingerprintOf(test::randomBytes(10, 8));
  Bytes instr = {static_cast<uint8_t>(Op::RawLiteral),
                 2,
                 'h',
                 'i',
                 static_cast<uint8_t>(Op::ChunkLiteral),
                 3,
                 'a',
                 'b',
                 'c',
                 static_cast<uint8_t>(Op::Reference)};
  instr.insert(instr.end(), fp.bytes.begin(), fp.bytes.end());
  appendVarint(instr, 300);
  InstructionTotals t;
  REQUIRE(measureInstructions(instr, 65536, t));
  CHECK(t.literalBytes == 5);
  CHECK(t.referenceBytes == 300);
  // Every proper prefix that cuts an instruction is a truncation.
  const std::vector<size_t> whole = {0, 4, 9, instr.size()};
  for (size_t n = 1; n < instr.size(); ++n) {
    if (std::find(whole.begin(), whole.end(), n) != whole.end()) {
      CHECK(measureInstructions(ByteSpan(instr).first(n), 65536, t));
      continue;
    }
    CAPTURE(n);
    CHECK_FALSE(measureInstructions(ByteSpan(instr).first(n), 65536, t));
  }
  CHECK_FALSE(measureInstructions(instr, 299, t));  // a length above the chunk cap
  Bytes zero = {static_cast<uint8_t>(Op::RawLiteral), 0};
  CHECK_FALSE(measureInstructions(zero, 65536, t));
  Bytes unknown = {4, 1, 'x'};
  CHECK_FALSE(measureInstructions(unknown, 65536, t));
}

TEST_CASE("truncated stream waits (NeedMore), the pure step says how much") {
  Link link;
  Bytes wire = link.send(test::textBytes(50000, 4));
  auto cache = test::memoryCache();
  DreDecoder d(*cache, DreConfig{});
  std::vector<MissingChunk> missing;
  Bytes out;
  BlockResult r = d.decodeBlock(ByteSpan(wire).first(10), out, missing);
  CHECK(r.status == BlockStatus::NeedMore);
  CHECK(r.needed == kBlockHeaderBytes);
  r = d.decodeBlock(ByteSpan(wire).first(kBlockHeaderBytes + 1), out, missing);
  CHECK(r.status == BlockStatus::NeedMore);
  CHECK(r.needed == wire.size());
  r = d.decodeBlock(wire, out, missing);
  CHECK(r.status == BlockStatus::Done);
  CHECK(r.consumed == wire.size());
}

TEST_CASE("applyRepair refuses data blocks and truncated input") {
  Link link;
  Bytes wire = link.send(test::textBytes(5000, 5));
  auto cache = test::memoryCache();
  DreDecoder d(*cache, DreConfig{});
  CHECK(d.applyRepair(wire).status == ParseStatus::Error);
  Bytes lit = {static_cast<uint8_t>(Op::ChunkLiteral), 3, 'a', 'b', 'c'};
  Bytes rep = rawBlock(lit, 0, kBlockFlagRepair);
  CHECK(d.applyRepair(ByteSpan(rep).first(rep.size() - 1)).status == ParseStatus::Error);
  CHECK(d.applyRepair(rep).ok());
}
