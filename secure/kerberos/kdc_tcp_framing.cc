#include "secure/kerberos/kdc_tcp_framing.h"

namespace bh::secure::kerberos {

Bytes frameKdcMessage(ByteSpan message) {
  Bytes out;
  ByteWriter w(out);
  w.u32be(static_cast<uint32_t>(message.size()));
  w.bytes(message);
  return out;
}

ParseResult KdcTcpFramer::feed(ByteSpan bytes) {
  if (!error_.empty()) {
    return ParseResult::fail(error_);
  }
  size_t used = 0;
  while (used < bytes.size() || buffer_.size() >= 4) {
    // The header first: at most 4 bytes are held before the length is checked.
    if (buffer_.size() < 4) {
      size_t n = std::min(4 - buffer_.size(), bytes.size() - used);
      buffer_.insert(buffer_.end(), bytes.begin() + static_cast<ptrdiff_t>(used),
                     bytes.begin() + static_cast<ptrdiff_t>(used + n));
      used += n;
      if (buffer_.size() < 4) {
        break;
      }
    }
    ByteReader r(buffer_);
    uint32_t length = r.u32be();
    if ((length & 0x80000000u) != 0) {
      error_ = "KDC message length with the reserved high bit set (RFC 4120 7.2.2)";
      return ParseResult::fail(error_);
    }
    if (length > cap_) {
      error_ = "KDC message of " + std::to_string(length) + " bytes is over the cap of " +
               std::to_string(cap_);
      return ParseResult::fail(error_);
    }
    size_t want = 4 + static_cast<size_t>(length) - buffer_.size();
    size_t n = std::min(want, bytes.size() - used);
    buffer_.insert(buffer_.end(), bytes.begin() + static_cast<ptrdiff_t>(used),
                   bytes.begin() + static_cast<ptrdiff_t>(used + n));
    used += n;
    if (buffer_.size() < 4 + static_cast<size_t>(length)) {
      break;
    }
    ready_.emplace_back(buffer_.begin() + 4, buffer_.end());
    buffer_.clear();
  }
  if (!ready_.empty()) {
    return ParseResult::done(used);
  }
  size_t need = buffer_.size() < 4 ? 4
                                   : 4 + (static_cast<size_t>(buffer_[0]) << 24 |
                                          static_cast<size_t>(buffer_[1]) << 16 |
                                          static_cast<size_t>(buffer_[2]) << 8 | buffer_[3]);
  return ParseResult::needMore(need);
}

Bytes KdcTcpFramer::next() {
  Bytes m = std::move(ready_.front());
  ready_.pop_front();
  return m;
}

}  // namespace bh::secure::kerberos
