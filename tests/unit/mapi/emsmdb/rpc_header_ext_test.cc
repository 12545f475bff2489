// RPC_HEADER_EXT (MS-OXCRPC 2.2.2.1), XorMagic (3.1.4.1.1.3) and extended buffers.
#include "mapi/emsmdb/rpc_header_ext.h"

#include <doctest/doctest.h>

#include "mapi/emsmdb/xor_magic.h"
#include "tests/unit/mapi/emsmdb/emsmdb_test_util.h"

using namespace bh;
using namespace bh::mapi::emsmdb;
using bh::mapi::emsmdb::testing::randomBytes;
using bh::mapi::emsmdb::testing::readVector;

namespace {

// fromHex appends; these tests want a fresh buffer each time.
Bytes hex(const char* h) {
  Bytes b;
  REQUIRE(fromHex(h, b));
  return b;
}

}  // namespace

TEST_CASE("RpcHeaderExt decodes, re-encodes and checks its fields") {
  Bytes wire = hex("0000 0600 3412 0020");  // XorMagic|Last, Size 0x1234, SizeActual 0x2000
  RpcHeaderExt h;
  // Compressed is clear, so Size must equal SizeActual: this header is malformed.
  CHECK(decodeRpcHeaderExt(wire, h).status == ParseStatus::Error);
  wire = hex("0000 0700 3412 0020");  // Compressed|XorMagic|Last
  REQUIRE(decodeRpcHeaderExt(wire, h).ok());
  CHECK(h.compressed());
  CHECK(h.xorMagic());
  CHECK(h.last());
  CHECK(h.size == 0x1234);
  CHECK(h.sizeActual == 0x2000);
  Bytes back;
  ByteWriter w(back);
  encodeRpcHeaderExt(w, h);
  CHECK(back == wire);
  for (size_t cut = 0; cut < wire.size(); ++cut) {
    CHECK(decodeRpcHeaderExt(ByteSpan(wire).first(cut), h).status == ParseStatus::NeedMore);
  }
  wire = hex("0100 0400 0000 0000");
  CHECK(decodeRpcHeaderExt(wire, h).status == ParseStatus::Error);  // Version != 0
  wire = hex("0000 0c00 0000 0000");
  CHECK(decodeRpcHeaderExt(wire, h).status == ParseStatus::Error);  // unknown flag 0x8
  wire = hex("0000 0500 0010 0010");
  CHECK(decodeRpcHeaderExt(wire, h).status == ParseStatus::Error);  // compressed, not smaller
}

TEST_CASE("RpcHeaderExt XorMagic is 0xA5 and its own inverse") {
  Bytes b = {0x00, 0xa5, 0xff, 0x5a};
  xorMagic(b);
  CHECK(b == Bytes{0xa5, 0x00, 0x5a, 0xff});
  xorMagic(b);
  CHECK(b == Bytes{0x00, 0xa5, 0xff, 0x5a});
}

TEST_CASE("RpcHeaderExt extended buffers round-trip in every form the client may ask for") {
  Bytes text;
  for (int i = 0; i < 300; ++i) {
    text.push_back(static_cast<uint8_t>("RopReadStream "[i % 14]));
  }
  Bytes random = randomBytes(500, 3);
  for (bool compress : {false, true}) {
    for (bool xorIt : {false, true}) {
      CAPTURE(compress);
      CAPTURE(xorIt);
      Bytes buf;
      REQUIRE(encodeExtendedPayloads({text, random}, {compress, xorIt}, buf).ok());
      std::vector<ExtendedPiece> pieces;
      REQUIRE(decodeExtendedBuffer(buf, pieces).ok());
      REQUIRE(pieces.size() == 2);
      CHECK(pieces[0].plain == text);
      CHECK(pieces[1].plain == random);
      CHECK(!pieces[0].header.last());
      CHECK(pieces[1].header.last());
      CHECK(pieces[0].header.compressed() == compress);  // text shrinks
      CHECK(!pieces[1].header.compressed());             // random never does: sent plain
      CHECK(pieces[0].header.xorMagic() == xorIt);
      CHECK(encodeExtendedBuffer(pieces) == buf);
      // Every prefix is need-more (the cut is inside a piece) and never a success.
      for (size_t cut = 0; cut < buf.size(); ++cut) {
        ParseResult r = decodeExtendedBuffer(ByteSpan(buf).first(cut), pieces);
        CHECK_MESSAGE(r.status == ParseStatus::NeedMore, "cut " << cut);
        CHECK(r.needed > cut);
      }
    }
  }
}

TEST_CASE("RpcHeaderExt extended buffer caps and framing errors") {
  Bytes buf;
  Bytes small = {1, 2, 3};
  REQUIRE(encodeExtendedPayloads({small, small, small}, {}, buf).ok());
  std::vector<ExtendedPiece> pieces;
  ExtendedBufferLimits limits;
  limits.maxPieces = 2;
  CHECK(decodeExtendedBuffer(buf, pieces, limits).status == ParseStatus::Error);
  limits.maxPieces = 3;
  CHECK(decodeExtendedBuffer(buf, pieces, limits).ok());
  limits.maxTotalPlain = 8;
  CHECK(decodeExtendedBuffer(buf, pieces, limits).status == ParseStatus::Error);
  limits.maxTotalPlain = 9;
  CHECK(decodeExtendedBuffer(buf, pieces, limits).ok());
  // The cap is checked before the payload is waited for: a huge SizeActual fails at once.
  Bytes huge = hex("0000 0500 1000 ffff");
  limits.maxTotalPlain = 0x1000;
  CHECK(decodeExtendedBuffer(huge, pieces, limits).status == ParseStatus::Error);
  // Bytes after the Last piece.
  Bytes trailing = buf;
  trailing.push_back(0);
  CHECK(decodeExtendedBuffer(trailing, pieces).status == ParseStatus::Error);
  // A payload above 65535 bytes cannot be described by SizeActual.
  Bytes tooBig(0x10000, 1);
  CHECK(encodeExtendedPayloads({tooBig}, {}, buf).status == ParseStatus::Error);
  // A corrupt compressed payload is an error, not garbage output.
  Bytes text(400, 'a');
  REQUIRE(encodeExtendedPayloads({text}, {true, false}, buf).ok());
  buf[8 + 5] ^= 0xff;  // the first metadata word, after the bitmask and one literal:
  buf[8 + 6] ^= 0xff;  // its offset now reaches before the start of the output
  CHECK(decodeExtendedBuffer(buf, pieces).status == ParseStatus::Error);
}

TEST_CASE("decodeExtendedPayload joins every piece's plain payload, or fails as the buffer does") {
  Bytes a(300, 0x41), b = {1, 2, 3, 4, 5};
  Bytes buf;
  REQUIRE(encodeExtendedPayloads({a, b}, {true, true}, buf).ok());
  Bytes plain = {9, 9};  // replaced, not appended to
  REQUIRE(decodeExtendedPayload(buf, plain).ok());
  Bytes want = a;
  want.insert(want.end(), b.begin(), b.end());
  CHECK(plain == want);
  ParseResult cut = decodeExtendedPayload(ByteSpan(buf).first(buf.size() - 1), plain);
  CHECK_FALSE(cut.ok());
}
