// LZ77 / DIRECT2 (MS-OXCRPC 3.1.4.1.1.2): the byte examples MS-XCA 3.1 gives for the same bit
// stream, streams made by the independent Python model (tests/vectors/emsmdb/make_vectors.py),
// round trips, and hostile streams.
#include "mapi/emsmdb/lz77.h"

#include <doctest/doctest.h>

#include <string>

#include "tests/unit/mapi/emsmdb/emsmdb_test_util.h"

using namespace bh;
using namespace bh::mapi::emsmdb;
using bh::mapi::emsmdb::testing::randomBytes;
using bh::mapi::emsmdb::testing::readVector;

namespace {

Bytes fromString(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

Bytes roundTrip(const Bytes& plain) {
  Bytes packed = lz77::compress(plain);
  Bytes back;
  REQUIRE(lz77::decompress(packed, plain.size(), back).ok());
  return back;
}

}  // namespace

TEST_CASE("Lz77 decodes the MS-XCA Plain LZ77 examples") {
  // 26 literals: bitmask 0x0000003f (26 zero bits, then padding ones).
  Bytes alphabet;
  REQUIRE(fromHex("3f000000 6162636465666768696a6b6c6d6e6f707172737475767778797a", alphabet));
  Bytes out;
  REQUIRE(lz77::decompress(alphabet, 26, out).ok());
  CHECK(std::string(out.begin(), out.end()) == "abcdefghijklmnopqrstuvwxyz");
  // "abc" x 100: three literals then one match of offset 3 whose length escapes through the
  // nibble (15), the byte (255) and the 16-bit field (0x0126 = 297 - 3).
  Bytes abc;
  REQUIRE(fromHex("ffffff1f 616263 1700 0f ff 2601", abc));
  REQUIRE(lz77::decompress(abc, 300, out).ok());
  std::string expect;
  for (int i = 0; i < 100; ++i) {
    expect += "abc";
  }
  CHECK(std::string(out.begin(), out.end()) == expect);
  // Our encoder makes exactly these bytes too.
  CHECK(lz77::compress(fromString("abcdefghijklmnopqrstuvwxyz")) == alphabet);
  CHECK(lz77::compress(fromString(expect)) == abc);
}

TEST_CASE("Lz77 decodes streams from the independent Python model") {
  for (const char* name : {"lz77_text", "lz77_run", "lz77_binary"}) {
    CAPTURE(name);
    Bytes plain = readVector("emsmdb", std::string(name) + ".plain");
    Bytes packed = readVector("emsmdb", std::string(name) + ".lz77");
    REQUIRE(!plain.empty());
    Bytes out;
    REQUIRE(lz77::decompress(packed, plain.size(), out).ok());
    CHECK(out == plain);
    CHECK(roundTrip(plain) == plain);
    CHECK(lz77::compress(plain).size() < plain.size());
  }
}

TEST_CASE("Lz77 round-trips random, text and edge-sized data") {
  for (size_t n : {0u, 1u, 2u, 3u, 31u, 32u, 33u, 64u, 1000u, 8193u, 65535u}) {
    CAPTURE(n);
    Bytes r = randomBytes(n, static_cast<uint32_t>(n));
    CHECK(roundTrip(r) == r);
    Bytes t;
    const std::string words = "the quick brown fox jumps over the lazy dog; ";
    for (size_t i = 0; i < n; ++i) {
      t.push_back(static_cast<uint8_t>(words[(i * 7 + i / 13) % words.size()]));
    }
    CHECK(roundTrip(t) == t);
    Bytes z(n, 0);
    CHECK(roundTrip(z) == z);
  }
  // A match longer than the 16-bit escape can carry is split; matches right at 8192 back work.
  Bytes big(70000, 'x');
  CHECK(roundTrip(big) == big);
  Bytes far = randomBytes(8192, 7);
  Bytes again = far;
  far.insert(far.end(), again.begin(), again.end());
  CHECK(roundTrip(far) == far);
}

TEST_CASE("Lz77 decompress caps output at SizeActual and rejects hostile streams") {
  Bytes abc;
  REQUIRE(fromHex("ffffff1f 616263 1700 0f ff 2601", abc));
  Bytes out;
  // The match would write past a smaller SizeActual.
  CHECK(lz77::decompress(abc, 299, out).status == ParseStatus::Error);
  CHECK(out.size() <= 299);
  // A bigger SizeActual than the stream makes: ends early.
  CHECK(lz77::decompress(abc, 301, out).status == ParseStatus::Error);
  // Offset before the start of the output.
  Bytes before;
  REQUIRE(fromHex("ffffffbf 61 0800", before));  // literal 'a', then offset 2
  CHECK(lz77::decompress(before, 4, out).status == ParseStatus::Error);
  // 16-bit length below its minimum of 22.
  Bytes small;
  REQUIRE(fromHex("ffffff1f 616263 1700 0f ff 0500", small));
  CHECK(lz77::decompress(small, 300, out).status == ParseStatus::Error);
  // Every truncation of a valid stream fails (never a wrong success, never out of bounds).
  Bytes text = readVector("emsmdb", "lz77_text.lz77");
  Bytes plain = readVector("emsmdb", "lz77_text.plain");
  for (size_t cut = 0; cut + 4 < text.size(); ++cut) {  // the last 4 hold padding only
    Bytes prefix(text.begin(), text.begin() + static_cast<long>(cut));
    ParseResult r = lz77::decompress(prefix, plain.size(), out);
    CHECK_MESSAGE(r.status == ParseStatus::Error, "cut at " << cut);
  }
  // Random garbage never succeeds with a wrong size and never crashes.
  for (uint32_t seed = 0; seed < 200; ++seed) {
    Bytes g = randomBytes(64 + seed, seed);
    ParseResult r = lz77::decompress(g, 4096, out);
    if (r.ok()) {
      CHECK(out.size() == 4096);
    }
  }
}

TEST_CASE("Lz77 compress keeps its choices: the same bytes as the byte-wise matcher made") {
  // The matcher compares eight bytes at a time and skips candidates that differ at the best
  // length so far; neither may change which match is taken (the bytes on the wire, and with
  // them the bench's WAN bytes). The size and FNV-1a hash are those of the byte-wise compressor
  // before both (commit 4c19c49) over the same input: words from a small dictionary with a
  // stray byte now and then, so chains are long and candidates tie.
  static const char* words[] = {"Subject",    "attachment", "ReadStream", "Exchange",
                                "mailbox",    "the",        "of",         "and",
                                "0123456789", "\r\n",       "  ",         "MAPI"};
  Bytes in;
  uint32_t x = 12345;
  while (in.size() < 40000) {
    x = x * 1103515245u + 12345u;
    uint32_t r = x >> 16;
    if (r % 7 == 0) {
      in.push_back(static_cast<uint8_t>(r >> 3));
    } else {
      std::string w = words[r % 12];
      in.insert(in.end(), w.begin(), w.end());
    }
  }
  REQUIRE(in.size() == 40004);
  Bytes packed = lz77::compress(in);
  uint64_t h = 1469598103934665603ull;
  for (uint8_t c : packed) {
    h ^= c;
    h *= 1099511628211ull;
  }
  CHECK(packed.size() == 10162);
  CHECK(h == 0x106cf39fe89e0e39ull);
  CHECK(roundTrip(in) == in);
}
