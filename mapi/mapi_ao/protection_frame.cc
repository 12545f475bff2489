#include "mapi/mapi_ao/protection_frame.h"

namespace bh::mapi::mapi_ao {

namespace {

void putHeader(ProtectionFrameType type, size_t length, Bytes& out) {
  out.push_back(static_cast<uint8_t>(type));
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<uint8_t>(length >> shift));
  }
}

size_t capOf(ProtectionFrameType type) {
  switch (type) {
    case ProtectionFrameType::Context:
      return kMaxContextFrame;
    case ProtectionFrameType::Unopened:
      return kMaxUnopenedFrame;
    case ProtectionFrameType::Verbatim:
      return kMaxVerbatimFrame;
    case ProtectionFrameType::OpenRequest:
      return 0;
    case ProtectionFrameType::Inner:
      break;
  }
  return UINT32_MAX;
}

}  // namespace

void encodeProtectionFrame(ProtectionFrameType type, ByteSpan body, Bytes& out) {
  putHeader(type, body.size(), out);
  out.insert(out.end(), body.begin(), body.end());
}

void encodeInnerHeader(size_t length, Bytes& out) {
  putHeader(ProtectionFrameType::Inner, length, out);
}

ParseResult ProtectionFrameReader::next(ByteSpan data, size_t& pos, Item& out) {
  if (failed_) {
    return ParseResult::fail("protection frames: stream failed");
  }
  while (pos < data.size() || (inFrame_ && remaining_ == 0)) {
    if (!inFrame_) {
      while (header_.size() < kProtectionFrameHeader && pos < data.size()) {
        header_.push_back(data[pos++]);
      }
      if (header_.size() < kProtectionFrameHeader) {
        return ParseResult::needMore(kProtectionFrameHeader);
      }
      const uint8_t t = header_[0];
      const size_t len = (size_t{header_[1]} << 24) | (size_t{header_[2]} << 16) |
                         (size_t{header_[3]} << 8) | header_[4];
      header_.clear();
      if (t < 1 || t > 5) {
        failed_ = true;
        return ParseResult::fail("protection frames: unknown frame type " + std::to_string(t));
      }
      type_ = static_cast<ProtectionFrameType>(t);
      if (len > capOf(type_)) {
        failed_ = true;
        return ParseResult::fail("protection frames: frame of " + std::to_string(len) +
                                 " bytes above its cap");
      }
      remaining_ = len;
      inFrame_ = true;
      body_.clear();
    }
    if (type_ == ProtectionFrameType::Inner) {
      if (remaining_ == 0) {
        inFrame_ = false;
        continue;
      }
      const size_t n = std::min(remaining_, data.size() - pos);
      if (n == 0) {
        break;
      }
      out.type = type_;
      out.body = data.subspan(pos, n);
      pos += n;
      remaining_ -= n;
      if (remaining_ == 0) {
        inFrame_ = false;
      }
      return ParseResult::done(n);
    }
    const size_t n = std::min(remaining_, data.size() - pos);
    body_.insert(body_.end(), data.begin() + static_cast<ptrdiff_t>(pos),
                 data.begin() + static_cast<ptrdiff_t>(pos + n));
    pos += n;
    remaining_ -= n;
    if (remaining_ == 0) {
      inFrame_ = false;
      out.type = type_;
      out.body = ByteSpan(body_);
      return ParseResult::done(body_.size());
    }
  }
  return ParseResult::needMore(kProtectionFrameHeader);
}

Bytes encodeVerbatim(uint64_t due, ByteSpan pdu) {
  Bytes b;
  b.reserve(8 + pdu.size());
  for (int shift = 56; shift >= 0; shift -= 8) {
    b.push_back(static_cast<uint8_t>(due >> shift));
  }
  b.insert(b.end(), pdu.begin(), pdu.end());
  return b;
}

bool decodeVerbatim(ByteSpan body, uint64_t& due, ByteSpan& pdu) {
  if (body.size() < 8 + 16) {
    return false;
  }
  due = 0;
  for (size_t i = 0; i < 8; ++i) {
    due = (due << 8) | body[i];
  }
  pdu = body.subspan(8);
  return true;
}

}  // namespace bh::mapi::mapi_ao
