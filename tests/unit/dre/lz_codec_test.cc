#include "dre/lz_codec.h"

#include <doctest/doctest.h>
#include <zstd.h>

#include "tests/unit/dre/dre_test_util.h"

using namespace bh;
using namespace bh::dre;

TEST_CASE("zstd is kept only when it saves enough, with doubling back-off") {
  LzCompressor lz(3, 5, 4);
  Bytes rnd = test::randomBytes(65536, 1);
  Bytes text = test::textBytes(65536, 2);
  Bytes out;
  CHECK_FALSE(lz.compress(rnd, true, out));  // useless: back off 1 block
  CHECK(out.empty());
  CHECK_FALSE(lz.compress(text, true, out));  // skipped without trying
  CHECK(lz.blocksSkipped() == 1);
  CHECK(lz.compress(text, true, out));  // tried again, compresses, back-off resets
  CHECK(out.size() < text.size() / 2);
  out.clear();
  CHECK_FALSE(lz.compress(rnd, true, out));  // back-off 1
  CHECK_FALSE(lz.compress(rnd, true, out));  // skipped
  CHECK_FALSE(lz.compress(rnd, true, out));  // useless again: back-off 2
  CHECK_FALSE(lz.compress(text, true, out));
  CHECK_FALSE(lz.compress(text, true, out));
  CHECK(lz.blocksSkipped() == 4);
  CHECK(lz.compress(text, true, out));
}

TEST_CASE("a useless try on a reference-heavy block does not start a back-off") {
  LzCompressor lz(3, 5, 64);
  Bytes rnd = test::randomBytes(65536, 3);
  Bytes text = test::textBytes(65536, 4);
  Bytes out;
  CHECK_FALSE(lz.compress(rnd, false, out));
  CHECK(lz.compress(text, true, out));
  CHECK(lz.blocksSkipped() == 0);
}

TEST_CASE("decompression never trusts the frame beyond the declared length") {
  Bytes text = test::textBytes(100000, 5);
  Bytes frame;
  LzCompressor lz(3, 0, 1);
  REQUIRE(lz.compress(text, true, frame));
  LzDecompressor dz;
  Bytes out;
  CHECK(dz.decompress(frame, text.size(), out));
  CHECK(out == text);
  CHECK_FALSE(dz.decompress(frame, text.size() - 1, out));  // would produce more
  CHECK_FALSE(dz.decompress(frame, text.size() + 1, out));  // produces less
  CHECK(dz.decompress(frame, text.size(), out));            // context usable after errors
  CHECK_FALSE(dz.decompress(ByteSpan(frame).first(frame.size() / 2), text.size(), out));
  // A frame declaring a 64 MiB window still decodes into the declared 1000 bytes and no more:
  // the one-shot decoder writes into the capped buffer and allocates no window.
  Bytes big = test::textBytes(4 << 20, 6);
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, 26);
  ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
  Bytes wide(ZSTD_compressBound(big.size()));
  ZSTD_outBuffer ob{wide.data(), wide.size(), 0};
  ZSTD_inBuffer ib{big.data(), 1000, 0};
  // Streaming input (size unknown up front) keeps the 64 MiB window in the frame header.
  REQUIRE_FALSE(ZSTD_isError(ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_continue)));
  ZSTD_inBuffer none{nullptr, 0, 0};
  REQUIRE(ZSTD_compressStream2(c, &ob, &none, ZSTD_e_end) == 0);
  ZSTD_freeCCtx(c);
  wide.resize(ob.pos);
  CHECK(dz.decompress(wide, 1000, out));
  CHECK(out == Bytes(big.begin(), big.begin() + 1000));
  CHECK_FALSE(dz.decompress(wide, 999, out));
}

TEST_CASE("flows with different levels share the thread's zstd contexts without mixing them") {
  // Every block is a frame of its own: compressors and decompressors of different flows take
  // turns on one context pair, each with its own parameters, and every frame decodes alone.
  LzCompressor fast(1, 0, 1);
  LzCompressor strong(19, 0, 1);
  LzDecompressor a;
  LzDecompressor b;
  Bytes t1 = test::textBytes(70000, 7);
  Bytes t2 = test::textBytes(30000, 8);
  Bytes f1, f2, f3;
  REQUIRE(strong.compress(t1, true, f1));
  REQUIRE(fast.compress(t2, true, f2));
  REQUIRE(strong.compress(t2, true, f3));
  CHECK(f3 != f2);  // level 19 is not level 1: the parameters were the compressor's own
  // The content size flag is set on the shared context too.
  CHECK(ZSTD_getFrameContentSize(f2.data(), f2.size()) == t2.size());
  Bytes out;
  CHECK(b.decompress(f3, t2.size(), out));
  CHECK(out == t2);
  CHECK_FALSE(a.decompress(f1, t1.size() - 1, out));  // an error on one flow ...
  CHECK(b.decompress(f2, t2.size(), out));            // ... leaves the other's next frame intact
  CHECK(out == t2);
  CHECK(a.decompress(f1, t1.size(), out));
  CHECK(out == t1);
}
