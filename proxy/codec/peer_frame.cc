#include "peer_frame.h"

#include <algorithm>

namespace bh::proxy::codec {
namespace {

/// The header rules of each type; shared by decoder and encoder. Empty string = valid.
const char* checkHeader(const FrameHeader& h, const FrameLimits& limits) {
  switch (h.type) {
    case FrameType::Hello:
    case FrameType::HelloAck:
      if (h.flags != 0) {
        return "hello flags must be zero";
      }
      if (h.length == 0 || h.length > std::min(limits.maxHelloPayload, limits.maxPayload)) {
        return "hello length out of range";
      }
      return "";
    case FrameType::Data:
      if ((h.flags & ~DataFlags::All) != 0) {
        return "data flags unknown";
      }
      if (h.length > limits.maxPayload) {
        return "data payload over the cap";
      }
      return "";
    case FrameType::HalfClose:
    case FrameType::Keepalive:
      if (h.flags != 0 || h.length != 0) {
        return "half-close and keepalive carry nothing";
      }
      return "";
    case FrameType::DreControl:
      if (h.flags < DreControlKind::ResendRequest || h.flags > DreControlKind::Epoch) {
        return "dre control kind unknown";
      }
      if (h.length == 0 || h.length > limits.maxPayload) {
        return "dre control length out of range";
      }
      return "";
    case FrameType::Reset:
      if (h.flags != 0 || h.length != 2) {
        return "reset carries exactly a 16-bit reason";
      }
      return "";
  }
  return "unknown frame type";
}

}  // namespace

ParseResult decodeFrameHeader(ByteSpan input, const FrameLimits& limits, FrameHeader& out) {
  if (input.size() < kFrameHeaderLength) {
    return ParseResult::needMore(kFrameHeaderLength);
  }
  ByteReader r(input, Endian::Big);
  if (r.u8() != kPeerMagicVersion) {
    return ParseResult::fail("bad magic/version");
  }
  FrameHeader h;
  h.type = static_cast<FrameType>(r.u8());
  h.flags = r.u16be();
  h.length = r.u32be();
  const char* why = checkHeader(h, limits);
  if (*why != '\0') {
    return ParseResult::fail(why);
  }
  out = h;
  return ParseResult::done(kFrameHeaderLength);
}

ParseResult decodeFrame(ByteSpan input, const FrameLimits& limits, Frame& out) {
  FrameHeader h;
  ParseResult r = decodeFrameHeader(input, limits, h);
  if (!r.ok()) {
    return r;
  }
  const size_t total = kFrameHeaderLength + h.length;
  if (input.size() < total) {
    return ParseResult::needMore(total);
  }
  out.type = h.type;
  out.flags = h.flags;
  const ByteSpan payload = input.subspan(kFrameHeaderLength, h.length);
  out.payload.assign(payload.begin(), payload.end());
  return ParseResult::done(total);
}

ParseResult FrameDecoder::fail(std::string why) {
  error_ = std::move(why);
  buffer_.clear();
  buffer_.shrink_to_fit();
  return ParseResult::fail(error_);
}

ParseResult FrameDecoder::feed(ByteSpan chunk, std::vector<Frame>& frames) {
  if (failed()) {
    return ParseResult::fail(error_);
  }
  size_t at = 0;
  while (true) {
    if (buffer_.empty()) {
      // Fast path: whole frames straight out of the chunk, buffering only a trailing fragment.
      Frame f;
      const ByteSpan rest = chunk.subspan(at);
      const ParseResult r = decodeFrame(rest, limits_, f);
      if (r.status == ParseStatus::Error) {
        return fail(r.error);
      }
      if (r.status == ParseStatus::Done) {
        frames.push_back(std::move(f));
        at += r.consumed;
        continue;
      }
      // NeedMore: rest is shorter than the frame needs, and that need passed the caps.
      buffer_.assign(rest.begin(), rest.end());
      break;
    }
    Frame f;
    ParseResult r = decodeFrame(buffer_, limits_, f);
    if (r.status == ParseStatus::Error) {
      return fail(r.error);
    }
    if (r.status == ParseStatus::NeedMore) {
      if (at == chunk.size()) {
        break;
      }
      // Top up only to what the frame (or its header) needs: the cap on buffer_.
      const size_t take = std::min(r.needed - buffer_.size(), chunk.size() - at);
      buffer_.insert(buffer_.end(), chunk.begin() + at, chunk.begin() + at + take);
      at += take;
      continue;
    }
    frames.push_back(std::move(f));
    buffer_.clear();
  }
  return ParseResult::done(chunk.size());
}

bool FrameEncoder::encodeHeader(FrameType type, uint16_t flags, size_t length,
                                std::array<uint8_t, kFrameHeaderLength>& out) const {
  if (length > UINT32_MAX) {
    return false;
  }
  const FrameHeader h{type, flags, static_cast<uint32_t>(length)};
  if (*checkHeader(h, limits_) != '\0') {
    return false;
  }
  out = {kPeerMagicVersion,
         static_cast<uint8_t>(type),
         static_cast<uint8_t>(flags >> 8),
         static_cast<uint8_t>(flags),
         static_cast<uint8_t>(h.length >> 24),
         static_cast<uint8_t>(h.length >> 16),
         static_cast<uint8_t>(h.length >> 8),
         static_cast<uint8_t>(h.length)};
  return true;
}

bool FrameEncoder::encode(FrameType type, uint16_t flags, ByteSpan payload, Bytes& out) const {
  std::array<uint8_t, kFrameHeaderLength> header;
  if (!encodeHeader(type, flags, payload.size(), header)) {
    return false;
  }
  out.reserve(out.size() + header.size() + payload.size());
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return true;
}

}  // namespace bh::proxy::codec
