#include "secure/emapi/der.h"

namespace bh::secure::emapi {

bool DerReader::header(size_t at, uint8_t& tag, size_t& contentAt, size_t& contentLen) const {
  if (data_.size() - at < 2) {
    return false;
  }
  tag = data_[at];
  // High-tag-number form (X.690 8.1.2.4) never occurs in RFC 4120 / RFC 4178 messages.
  if ((tag & 0x1f) == 0x1f) {
    return false;
  }
  uint8_t first = data_[at + 1];
  size_t p = at + 2;
  if (first < 0x80) {
    contentLen = first;
  } else {
    size_t n = first & 0x7f;
    // 0x80 is the indefinite form (BER only, X.690 10.1); more than 4 length octets would
    // exceed any message we accept.
    if (n == 0 || n > 4 || data_.size() - p < n) {
      return false;
    }
    contentLen = 0;
    for (size_t i = 0; i < n; ++i) {
      contentLen = (contentLen << 8) | data_[p + i];
    }
    p += n;
  }
  contentAt = p;
  return true;
}

size_t DerReader::firstElementSize() const {
  uint8_t tag = 0;
  size_t at = 0;
  size_t len = 0;
  if (!header(0, tag, at, len)) {
    return 0;
  }
  return at + len;
}

uint8_t DerReader::peekTag() const {
  if (!ok_ || pos_ >= data_.size()) {
    return 0;
  }
  return data_[pos_];
}

ByteSpan DerReader::expect(uint8_t tag) {
  uint8_t got = 0;
  size_t at = 0;
  size_t len = 0;
  if (!ok_ || !header(pos_, got, at, len)) {
    ok_ = false;
    return {};
  }
  if (got != tag) {
    ok_ = false;
    return {};
  }
  if (data_.size() - at < len) {
    ok_ = false;
    return {};
  }
  pos_ = at + len;
  return data_.subspan(at, len);
}

bool DerReader::optional(uint8_t tag, ByteSpan& contents) {
  if (peekTag() != tag) {
    return false;
  }
  contents = expect(tag);
  return ok_;
}

void DerReader::skip() {
  (void)expect(peekTag());
}

bool DerReader::integer(ByteSpan contents, int64_t& out) {
  if (contents.empty() || contents.size() > 8) {
    return false;
  }
  uint64_t v = (contents[0] & 0x80) != 0 ? ~uint64_t{0} : 0;
  for (uint8_t b : contents) {
    v = (v << 8) | b;
  }
  out = static_cast<int64_t>(v);
  return true;
}

bool readExplicitInteger(DerReader& r, uint8_t tag, int64_t& out) {
  DerReader inner(r.expect(tag));
  if (!r.ok() || !DerReader::integer(inner.expect(der::kInteger), out) || !inner.ok() ||
      !inner.atEnd()) {
    r.fail();
    return false;
  }
  return true;
}

bool readExplicitOctets(DerReader& r, uint8_t tag, ByteSpan& out) {
  DerReader inner(r.expect(tag));
  out = inner.expect(der::kOctetString);
  if (!r.ok() || !inner.ok() || !inner.atEnd()) {
    r.fail();
    return false;
  }
  return true;
}

}  // namespace bh::secure::emapi
