#include <doctest/doctest.h>

#include "dre/block_format.h"
#include "dre/crc32c.h"
#include "dre/dre_stats.h"
#include "dre/fingerprint.h"
#include "tests/unit/dre/dre_test_util.h"

using namespace bh;
using namespace bh::dre;

TEST_CASE("fingerprint is the first 128 bits of SHA-256") {
  const std::string abc = "abc";
  Fingerprint f = fingerprintOf(ByteSpan(reinterpret_cast<const uint8_t*>(abc.data()), 3));
  CHECK(f.toHex() == "ba7816bf8f01cfea414140de5dae2223");
  CHECK(fingerprintOf({}).toHex() == "e3b0c44298fc1c149afbf4c8996fb924");
}

TEST_CASE("crc32c check value and hardware path equal the table") {
  const std::string s = "123456789";
  ByteSpan b(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  CHECK(crc32c(b) == 0xE3069283u);
  CHECK(crc32cPortable(b) == 0xE3069283u);
  Bytes r = test::randomBytes(4099, 3);
  for (size_t n : {0, 1, 7, 8, 9, 100, 4099}) {
    CHECK(crc32c(ByteSpan(r).first(n), 5) == crc32cPortable(ByteSpan(r).first(n), 5));
  }
}

TEST_CASE("varint round trip and rejects overlong") {
  for (uint32_t v : {0u, 1u, 127u, 128u, 65536u, 0xFFFFFFFFu}) {
    Bytes b;
    appendVarint(b, v);
    ByteReader r(b);
    uint32_t got = 1;
    CHECK(readVarint(r, got));
    CHECK(got == v);
    CHECK(r.remaining() == 0);
  }
  Bytes overlong = {0xFF, 0xFF, 0xFF, 0xFF, 0x1F};
  ByteReader r(overlong);
  uint32_t v;
  CHECK_FALSE(readVarint(r, v));
  Bytes truncated = {0x80, 0x80};
  ByteReader r2(truncated);
  CHECK_FALSE(readVarint(r2, v));
}

TEST_CASE("stats print the reduction ratio as the show commands do") {
  DreStats s;
  CHECK(s.reductionPercent() == "0.0%");
  s.originalBytes = 1000;
  s.optimizedBytes = 390;
  CHECK(s.reductionPercent() == "61.0%");
  s.optimizedBytes = 1200;
  CHECK(s.reductionPercent() == "0.0%");
  CHECK(s.reduction() < 0);
}

TEST_CASE("resend request round trip, truncation and caps") {
  std::vector<MissingChunk> in = {{fingerprintOf(test::randomBytes(10, 1)), 10},
                                  {fingerprintOf(test::randomBytes(20, 2)), 20}};
  Bytes wire;
  encodeResendRequest(in, wire);
  std::vector<MissingChunk> out;
  ParseResult r = parseResendRequest(wire, 16, 65536, out);
  REQUIRE(r.ok());
  CHECK(r.consumed == wire.size());
  CHECK(out == in);
  for (size_t n = 0; n < wire.size(); ++n) {
    CHECK(parseResendRequest(ByteSpan(wire).first(n), 16, 65536, out).status ==
          ParseStatus::NeedMore);
  }
  CHECK(parseResendRequest(wire, 1, 65536, out).status == ParseStatus::Error);
  CHECK(parseResendRequest(wire, 16, 15, out).status == ParseStatus::Error);
  wire[0] = 0;
  CHECK(parseResendRequest(wire, 16, 65536, out).status == ParseStatus::Error);
}
