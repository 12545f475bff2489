#include <doctest/doctest.h>

#include "tests/unit/dre/dre_test_util.h"

using namespace bh;
using namespace bh::dre;
using bh::dre::test::Link;

namespace {

DreConfig smallChunks() {
  DreConfig c;
  c.chunker = ChunkerConfig{64, 256, 1024};
  c.blockTargetBytes = 2048;
  c.maxBlockBytes = 8192;
  c.minCachedChunkBytes = 16;
  return c;
}

Bytes decodeAll(DreDecoder& d, ByteSpan wire) {
  Bytes out;
  DecodeResult r = d.decode(wire, out);
  REQUIRE(r.status == DecodeStatus::Ok);
  return out;
}

}  // namespace

TEST_CASE("round trip of random and repetitive data, cold then warm") {
  Link link;
  Bytes data = test::randomBytes(1 << 20, 11);
  Bytes text = test::textBytes(1 << 20, 12);
  data.insert(data.end(), text.begin(), text.end());
  Bytes wire1 = link.send(data);
  CHECK(decodeAll(*link.decoder, wire1) == data);
  link.newFlow();
  Bytes wire2 = link.send(data);
  CHECK(decodeAll(*link.decoder, wire2) == data);
  CHECK(wire2.size() * 100 < data.size());
  CHECK(link.decoder->stats().referenceChunks > 0);
  CHECK(link.encoder->stats().reductionPercent() == link.decoder->stats().reductionPercent());
  CHECK(link.decoder->bufferedBytes() == 0);
}

TEST_CASE("every split of the encoded stream decodes to the same bytes") {
  DreConfig cfg = smallChunks();
  Link link(cfg);
  Bytes data = test::textBytes(3000, 21);
  Bytes rnd = test::randomBytes(1500, 22);
  data.insert(data.end(), rnd.begin(), rnd.end());
  data.insert(data.end(), data.begin(), data.begin() + 2000);  // in-stream repeat
  Bytes wire = link.send(data);
  REQUIRE(wire.size() > 0);
  for (size_t split = 0; split <= wire.size(); ++split) {
    DreDecoder d(*link.receiverCache, cfg);
    Bytes out;
    DecodeResult a = d.decode(ByteSpan(wire).first(split), out);
    REQUIRE(a.status == DecodeStatus::Ok);
    DecodeResult b = d.decode(ByteSpan(wire).subspan(split), out);
    REQUIRE(b.status == DecodeStatus::Ok);
    REQUIRE(out == data);
    REQUIRE(d.bufferedBytes() == 0);
  }
}

TEST_CASE("byte-at-a-time decode and every split of the encoder input") {
  DreConfig cfg = smallChunks();
  Bytes data = test::textBytes(2500, 31);
  for (size_t split = 0; split <= data.size(); split += 7) {
    Link link(cfg);
    Bytes wire;
    link.encoder->encode(ByteSpan(data).first(split), false, wire);
    link.encoder->encode(ByteSpan(data).subspan(split), true, wire);
    CHECK(link.encoder->bufferedBytes() == 0);
    Bytes out;
    for (uint8_t b : wire) {
      REQUIRE(link.decoder->decode(ByteSpan(&b, 1), out).status == DecodeStatus::Ok);
    }
    REQUIRE(out == data);
  }
}

TEST_CASE("same 10 MiB sent twice: second send is at most 2% of the original") {
  Link link;
  Bytes text = test::textBytes(5 << 20, 41);
  Bytes bin = test::randomBytes(5 << 20, 42);
  Bytes data;
  for (size_t i = 0; i < 10; ++i) {  // interleave 1 MiB pieces of text and binary
    const Bytes& src = i % 2 ? bin : text;
    data.insert(data.end(), src.begin() + (i / 2) * (1 << 20),
                src.begin() + (i / 2 + 1) * (1 << 20));
  }
  Bytes first = link.send(data);
  CHECK(decodeAll(*link.decoder, first) == data);
  link.newFlow();
  Bytes second;
  for (size_t off = 0; off < data.size(); off += 65536) {  // as the proxy would, per read
    link.encoder->encode(ByteSpan(data).subspan(off, 65536), false, second);
    // Held between calls: input without a cut (< maxSize) + one open block.
    CHECK(link.encoder->bufferedBytes() < link.config.chunker.maxSize +
                                              link.config.blockTargetBytes +
                                              link.config.chunker.maxSize + 32);
  }
  link.encoder->encode({}, true, second);
  CHECK(decodeAll(*link.decoder, second) == data);
  MESSAGE("second send: ", second.size(), " bytes for ", data.size(), " (RR ",
          link.encoder->stats().reductionPercent(), ")");
  CHECK(second.size() * 50 <= data.size());
}

TEST_CASE("1% of bytes edited in scattered 1 KiB spans still reduces well") {
  Link link;
  Bytes data = test::textBytes(4 << 20, 51);
  Bytes rnd = test::randomBytes(4 << 20, 52);
  data.insert(data.end(), rnd.begin(), rnd.end());
  REQUIRE(decodeAll(*link.decoder, link.send(data)) == data);
  // Edits: overwrite, insert and delete spans totalling 1% of the bytes at random places.
  std::mt19937_64 rng(53);
  Bytes edited = data;
  const size_t spans = edited.size() / 100 / 1024;
  for (size_t i = 0; i < spans; ++i) {
    size_t at = rng() % (edited.size() - 2048);
    Bytes patch = test::randomBytes(1024, rng());
    switch (i % 3) {
      case 0:
        std::copy(patch.begin(), patch.end(), edited.begin() + at);
        break;
      case 1:
        edited.insert(edited.begin() + at, patch.begin(), patch.end());
        break;
      default:
        edited.erase(edited.begin() + at, edited.begin() + at + 1024);
        break;
    }
  }
  link.newFlow();
  Bytes wire = link.send(edited);
  CHECK(decodeAll(*link.decoder, wire) == edited);
  const double rr = link.encoder->stats().reduction();
  MESSAGE("1% edits: RR ", link.encoder->stats().reductionPercent());
  CHECK(rr > 0.75);
}

TEST_CASE("incompressible data goes raw and backs off; text goes zstd") {
  Link link;
  Bytes rnd = test::randomBytes(4 << 20, 61);
  Bytes wire = link.send(rnd);
  CHECK(link.encoder->stats().lzBlocks == 0);
  CHECK(wire.size() < rnd.size() + rnd.size() / 100);
  CHECK(decodeAll(*link.decoder, wire) == rnd);
  Link link2;
  Bytes text = test::textBytes(1 << 20, 62);
  Bytes wire2 = link2.send(text);
  CHECK(link2.encoder->stats().lzBlocks == link2.encoder->stats().blocks);
  CHECK(wire2.size() * 2 < text.size());
  CHECK(decodeAll(*link2.decoder, wire2) == text);
}

TEST_CASE("LZ off still round-trips") {
  DreConfig cfg;
  cfg.zstdLevel = 0;
  Link link(cfg);
  Bytes text = test::textBytes(300000, 63);
  Bytes wire = link.send(text);
  CHECK(link.encoder->stats().lzBlocks == 0);
  CHECK(decodeAll(*link.decoder, wire) == text);
}
