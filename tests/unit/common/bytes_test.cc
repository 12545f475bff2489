#include "common/bytes.h"

#include <doctest/doctest.h>

using namespace bh;

TEST_CASE("ByteReader reads both byte orders and fails sticky past the end") {
  const Bytes data = {0x01, 0x02, 0x03, 0x04, 0x05};
  ByteReader le(data);
  CHECK(le.u16() == 0x0201);
  ByteReader be(data, Endian::Big);
  CHECK(be.u32() == 0x01020304);
  CHECK(be.ok());
  CHECK(be.u16() == 0);  // only one byte left
  CHECK_FALSE(be.ok());
  CHECK(be.u8() == 0);  // sticky
  CHECK(be.remaining() == 0);
}

TEST_CASE("ByteWriter round-trips through ByteReader and patches lengths") {
  Bytes out;
  ByteWriter w(out, Endian::Big);
  w.u8(7);
  w.u16(0);
  w.u32(0xdeadbeef);
  w.align(8);
  w.patch16(1, static_cast<uint16_t>(out.size()));
  ByteReader r(out, Endian::Big);
  CHECK(r.u8() == 7);
  CHECK(r.u16() == 8);
  CHECK(r.u32() == 0xdeadbeef);
  r.align(8);
  CHECK(r.ok());
  CHECK(r.remaining() == 0);
}

TEST_CASE("hex helpers reject bad digits and odd lengths") {
  Bytes b;
  CHECK(fromHex("de ad\nbe ef", b));
  CHECK(toHex(b) == "deadbeef");
  Bytes c;
  CHECK_FALSE(fromHex("abc", c));
  Bytes d;
  CHECK_FALSE(fromHex("zz", d));
}
