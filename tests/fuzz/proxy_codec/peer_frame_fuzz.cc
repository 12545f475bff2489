// Fuzz target `peer_frame`: the FrameDecoder on chunked input. Input: byte 0 seeds the chunk
// sizes, byte 1 picks small or default caps, the rest is the byte stream. Asserts: chunked and
// whole-buffer decoding agree, the buffer stays under its cap, decoded frames re-encode to the
// exact input bytes, and typed payloads (Hello, HelloAck, Reset) re-encode exactly.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "proxy/codec/peer_frame.h"
#include "proxy/codec/peer_hello.h"
#include "proxy/codec/peer_messages.h"

using namespace bh::proxy::codec;

namespace {

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

void checkPayload(const Frame& f) {
  bh::Bytes again;
  switch (f.type) {
    case FrameType::Hello: {
      Hello h;
      if (decodeHello(f.payload, h).ok()) {
        check(encodeHello(h, again) && again == f.payload);
      }
      break;
    }
    case FrameType::HelloAck: {
      HelloAck a;
      if (decodeHelloAck(f.payload, a).ok()) {
        check(encodeHelloAck(a, again) && again == f.payload);
      }
      break;
    }
    case FrameType::Reset: {
      uint16_t reason = 0;
      check(decodeReset(f.payload, reason).ok());
      check(encodeReset(reason, again) && again == f.payload);
      break;
    }
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) {
    return 0;
  }
  uint32_t seed = data[0] | 1u;
  FrameLimits limits;
  if (data[1] & 1) {
    limits.maxPayload = 64;
    limits.maxHelloPayload = 48;
  }
  const bh::ByteSpan stream(data + 2, size - 2);

  FrameDecoder chunked(limits);
  std::vector<Frame> frames;
  bool failed = false;
  for (size_t at = 0; at < stream.size() && !failed;) {
    seed = seed * 1103515245u + 12345u;
    const size_t n = std::min<size_t>(1 + (seed >> 16) % 17, stream.size() - at);
    failed = chunked.feed(stream.subspan(at, n), frames).status == bh::ParseStatus::Error;
    check(chunked.bufferedBytes() <= kFrameHeaderLength + limits.maxPayload);
    at += n;
  }

  FrameDecoder whole(limits);
  std::vector<Frame> wholeFrames;
  const bool wholeFailed = whole.feed(stream, wholeFrames).status == bh::ParseStatus::Error;
  check(failed == wholeFailed);
  check(frames == wholeFrames);

  FrameEncoder encoder(limits);
  bh::Bytes encoded;
  for (const Frame& f : frames) {
    check(encoder.encode(f, encoded));
    checkPayload(f);
  }
  check(encoded.size() <= stream.size());
  check(std::equal(encoded.begin(), encoded.end(), stream.begin()));
  if (!failed) {
    check(encoded.size() + chunked.bufferedBytes() == stream.size());
  }
  return 0;
}
