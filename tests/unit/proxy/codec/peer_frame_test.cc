#include "proxy/codec/peer_frame.h"

#include <doctest/doctest.h>

#include "tests/unit/proxy/codec/test_packets.h"

namespace bh::proxy::codec {
namespace {

using test::hex;

Bytes encode(FrameType type, uint16_t flags, const Bytes& payload, FrameLimits limits = {}) {
  Bytes out;
  REQUIRE(FrameEncoder(limits).encode(type, flags, payload, out));
  return out;
}

std::vector<Frame> sampleFrames() {
  return {
      {FrameType::Hello, 0, hex("0101001a64d32fb807010400000000000000000000000000")},
      {FrameType::Data, DataFlags::Dre, Bytes(300, 0x5a)},
      {FrameType::HalfClose, 0, {}},
      {FrameType::Reset, 0, hex("0004")},
      {FrameType::Keepalive, 0, {}},
      {FrameType::HelloAck, 0, hex("0102001a64d32fb807070701")},
      {FrameType::Data, 0, {}},
  };
}

TEST_CASE("every frame type round-trips") {
  for (const Frame& f : sampleFrames()) {
    const Bytes bytes = encode(f.type, f.flags, f.payload);
    CHECK(bytes.size() == kFrameHeaderLength + f.payload.size());
    CHECK(bytes[0] == kPeerMagicVersion);
    Frame back;
    const ParseResult r = decodeFrame(bytes, {}, back);
    REQUIRE(r.ok());
    CHECK(r.consumed == bytes.size());
    CHECK(back == f);
  }
}

TEST_CASE("a header encoded alone is the whole frame's first bytes, with the same checks") {
  const FrameEncoder enc;
  for (const auto& f : sampleFrames()) {
    std::array<uint8_t, kFrameHeaderLength> header{};
    REQUIRE(enc.encodeHeader(f.type, f.flags, f.payload.size(), header));
    Bytes joined(header.begin(), header.end());
    joined.insert(joined.end(), f.payload.begin(), f.payload.end());
    CHECK(joined == encode(f.type, f.flags, f.payload));
  }
  std::array<uint8_t, kFrameHeaderLength> header{};
  CHECK(enc.encodeHeader(FrameType::Data, DataFlags::Dre, 0x01020304 & 0xfffff, header));
  CHECK(Bytes(header.begin(), header.end()) == hex("b1 03 0002 00020304"));
  CHECK_FALSE(enc.encodeHeader(FrameType::Hello, 0, 0, header));          // empty hello
  CHECK_FALSE(enc.encodeHeader(FrameType::Data, 4, 10, header));          // unknown data flag
  CHECK_FALSE(enc.encodeHeader(FrameType::Data, 0, (2u << 20), header));  // over the cap
}

TEST_CASE("split delivery: the stream split at every byte boundary decodes the same frames") {
  Bytes stream;
  for (const Frame& f : sampleFrames()) {
    const Bytes b = encode(f.type, f.flags, f.payload);
    stream.insert(stream.end(), b.begin(), b.end());
  }
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameDecoder d;
    std::vector<Frame> frames;
    REQUIRE(d.feed(ByteSpan(stream).first(cut), frames).ok());
    REQUIRE(d.feed(ByteSpan(stream).subspan(cut), frames).ok());
    CHECK(frames == sampleFrames());
    CHECK(d.bufferedBytes() == 0);
  }
  // And one byte at a time.
  FrameDecoder d;
  std::vector<Frame> frames;
  for (uint8_t b : stream) {
    REQUIRE(d.feed(ByteSpan(&b, 1), frames).ok());
  }
  CHECK(frames == sampleFrames());
}

TEST_CASE("decodeFrame asks for the header, then for the whole frame") {
  const Bytes bytes = encode(FrameType::Data, 0, Bytes(10, 1));
  Frame f;
  for (size_t n = 0; n < kFrameHeaderLength; ++n) {
    const ParseResult r = decodeFrame(ByteSpan(bytes).first(n), {}, f);
    CHECK(r.status == ParseStatus::NeedMore);
    CHECK(r.needed == kFrameHeaderLength);
  }
  for (size_t n = kFrameHeaderLength; n < bytes.size(); ++n) {
    const ParseResult r = decodeFrame(ByteSpan(bytes).first(n), {}, f);
    CHECK(r.status == ParseStatus::NeedMore);
    CHECK(r.needed == bytes.size());
  }
}

TEST_CASE("malformed headers are errors, detected from the header alone") {
  const std::vector<std::pair<const char*, Bytes>> bad = {
      {"bad magic", hex("b2 03 0000 00000000")},
      {"unknown type 0", hex("b1 00 0000 00000000")},
      {"unknown type 9", hex("b1 09 0000 00000000")},
      {"dre control of no kind", hex("b1 08 0000 00000001 00")},
      {"empty dre control", hex("b1 08 0001 00000000")},
      {"data flag 4", hex("b1 03 0004 00000000")},
      {"hello flags", hex("b1 01 0001 00000005")},
      {"empty hello", hex("b1 01 0000 00000000")},
      {"hello over its cap", hex("b1 01 0000 00000101")},
      {"empty ao message", hex("b1 04 0000 00000000")},
      {"half-close with payload", hex("b1 05 0000 00000001")},
      {"keepalive flags", hex("b1 07 8000 00000000")},
      {"reset of 3 bytes", hex("b1 06 0000 00000003")},
      {"data over the cap", hex("b1 03 0000 00100041")},
      {"4 GiB data", hex("b1 03 0000 ffffffff")},
  };
  for (const auto& item : bad) {
    const auto& why = item.first;
    const auto& header = item.second;
    CAPTURE(why);
    FrameDecoder d;
    std::vector<Frame> frames;
    const ParseResult r = d.feed(header, frames);
    CHECK(r.status == ParseStatus::Error);
    CHECK(!r.error.empty());
    CHECK(frames.empty());
    CHECK(d.failed());
    CHECK(d.bufferedBytes() == 0);
    // The encoder refuses the same header.
    Bytes out;
    const uint16_t flags = static_cast<uint16_t>(header[2] << 8 | header[3]);
    const Bytes payload(std::min<size_t>(header[7] | header[6] << 8, 2000), 0);
    if (header[0] == kPeerMagicVersion && header[4] == 0 && header[5] < 0x10) {
      CHECK(!FrameEncoder().encode(static_cast<FrameType>(header[1]), flags, payload, out));
      CHECK(out.empty());
    }
  }
}

TEST_CASE("the largest allowed payload passes, one more byte fails") {
  FrameLimits limits;
  limits.maxPayload = 1000;
  Bytes ok = encode(FrameType::Data, 0, Bytes(1000, 7), limits);
  FrameDecoder d(limits);
  std::vector<Frame> frames;
  CHECK(d.feed(ok, frames).ok());
  CHECK(frames.size() == 1);
  Bytes out;
  CHECK(!FrameEncoder(limits).encode(FrameType::Data, 0, Bytes(1001, 7), out));
  CHECK(out.empty());
  const Bytes tooBig = hex("b1 03 0000 000003e9");
  CHECK(d.feed(tooBig, frames).status == ParseStatus::Error);
}

TEST_CASE("default cap is 1 MiB plus a small header") {
  CHECK(FrameLimits{}.maxPayload == (1u << 20) + 64);
  Bytes out;
  CHECK(FrameEncoder().encode(FrameType::Data, 0, Bytes((1u << 20) + 64, 1), out));
  out.clear();
  CHECK(!FrameEncoder().encode(FrameType::Data, 0, Bytes((1u << 20) + 65, 1), out));
}

TEST_CASE("the decoder's buffer never exceeds one header plus the payload cap") {
  FrameLimits limits;
  limits.maxPayload = 4096;
  Bytes stream;
  for (int i = 0; i < 5; ++i) {
    const Bytes f = encode(FrameType::Data, 0, Bytes(4096, static_cast<uint8_t>(i)), limits);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  FrameDecoder d(limits);
  std::vector<Frame> frames;
  size_t peak = 0;
  // Chunks of 3000 bytes straddle frame boundaries.
  for (size_t at = 0; at < stream.size(); at += 3000) {
    const size_t n = std::min<size_t>(3000, stream.size() - at);
    REQUIRE(d.feed(ByteSpan(stream).subspan(at, n), frames).ok());
    peak = std::max(peak, d.bufferedBytes());
  }
  CHECK(frames.size() == 5);
  CHECK(peak <= kFrameHeaderLength + limits.maxPayload);
  CHECK(peak > 0);
  // A header announcing too much is refused before any payload byte is held.
  FrameDecoder d2(limits);
  CHECK(d2.feed(hex("b1 03 0000 00001001 00"), frames).status == ParseStatus::Error);
  CHECK(d2.bufferedBytes() == 0);
}

TEST_CASE("an error is sticky and frames before it are delivered") {
  Bytes stream = encode(FrameType::Keepalive, 0, {});
  const Bytes garbage = hex("00 11 22 33 44 55 66 77");
  stream.insert(stream.end(), garbage.begin(), garbage.end());
  FrameDecoder d;
  std::vector<Frame> frames;
  CHECK(d.feed(stream, frames).status == ParseStatus::Error);
  CHECK(frames.size() == 1);
  CHECK(d.feed(encode(FrameType::Keepalive, 0, {}), frames).status == ParseStatus::Error);
  CHECK(frames.size() == 1);
}

}  // namespace
}  // namespace bh::proxy::codec
