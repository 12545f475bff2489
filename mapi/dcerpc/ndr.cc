#include "mapi/dcerpc/ndr.h"

#include <algorithm>

#include "common/utf16.h"

namespace bh::mapi::dcerpc::ndr {

AnsiString AnsiString::of(std::string s) {
  AnsiString a;
  uint32_t n = static_cast<uint32_t>(s.size() + 1);
  a.header = {n, 0, n};
  a.text = std::move(s);
  return a;
}

bool readAnsiString(ByteReader& r, AnsiString& out, uint32_t cap, bool& bad) {
  r.align(4);
  out.header.maxCount = r.u32();
  out.header.offset = r.u32();
  out.header.actualCount = r.u32();
  if (!r.ok()) {
    return false;
  }
  const VaryingHeader& h = out.header;
  // A [string] always carries its terminator, so ActualCount >= 1 (C706 14.3.4.2).
  if (h.maxCount > cap || h.offset != 0 || h.actualCount > h.maxCount || h.actualCount == 0) {
    bad = true;
    r.fail();
    return false;
  }
  ByteSpan chars = r.take(h.actualCount);
  if (!r.ok()) {
    return false;
  }
  if (chars.back() != 0) {
    bad = true;
    r.fail();
    return false;
  }
  for (size_t i = 0; i + 1 < chars.size(); ++i) {
    if (chars[i] == 0) {
      bad = true;
      r.fail();
      return false;
    }
  }
  out.text.assign(chars.begin(), chars.end() - 1);
  return true;
}

void writeAnsiString(ByteWriter& w, const AnsiString& s) {
  w.align(4);
  w.u32(s.header.maxCount);
  w.u32(s.header.offset);
  w.u32(s.header.actualCount);
  w.bytes(ByteSpan(reinterpret_cast<const uint8_t*>(s.text.data()), s.text.size()));
  w.u8(0);
}

bool readConformantBytes(ByteReader& r, Bytes& out, uint32_t cap, bool& bad) {
  r.align(4);
  uint32_t n = r.u32();
  if (!r.ok()) {
    return false;
  }
  if (n > cap) {
    bad = true;
    r.fail();
    return false;
  }
  ByteSpan b = r.take(n);
  if (!r.ok()) {
    return false;
  }
  out.assign(b.begin(), b.end());
  return true;
}

void writeConformantBytes(ByteWriter& w, ByteSpan b) {
  w.align(4);
  w.u32(static_cast<uint32_t>(b.size()));
  w.bytes(b);
}

bool readVaryingBytes(ByteReader& r, VaryingHeader& header, Bytes& out, uint32_t cap, bool& bad) {
  r.align(4);
  header.maxCount = r.u32();
  header.offset = r.u32();
  header.actualCount = r.u32();
  if (!r.ok()) {
    return false;
  }
  if (header.maxCount > cap || header.offset != 0 || header.actualCount > header.maxCount) {
    bad = true;
    r.fail();
    return false;
  }
  ByteSpan b = r.take(header.actualCount);
  if (!r.ok()) {
    return false;
  }
  out.assign(b.begin(), b.end());
  return true;
}

void writeVaryingBytes(ByteWriter& w, const VaryingHeader& header, ByteSpan b) {
  w.align(4);
  w.u32(header.maxCount);
  w.u32(header.offset);
  w.u32(static_cast<uint32_t>(b.size()));
  w.bytes(b);
}

bool readWideString(ByteReader& r, std::u16string& text, uint32_t cap, bool& bad) {
  r.align(4);
  uint32_t maxCount = r.u32();
  uint32_t offset = r.u32();
  uint32_t actual = r.u32();
  if (!r.ok()) {
    return false;
  }
  if (maxCount > cap || offset != 0 || actual > maxCount || actual == 0) {
    bad = true;
    r.fail();
    return false;
  }
  if (r.remaining() / 2 < actual) {
    r.fail();
    return false;
  }
  text.clear();
  text.reserve(actual - 1);
  for (uint32_t i = 0; i < actual; ++i) {
    char16_t c = static_cast<char16_t>(r.u16());
    if ((c == 0) != (i + 1 == actual)) {
      bad = true;  // the terminator must be the last unit, and only there
      r.fail();
      return false;
    }
    if (c != 0) {
      text.push_back(c);
    }
  }
  return r.ok();
}

void writeWideString(ByteWriter& w, const std::u16string& text) {
  w.align(4);
  uint32_t n = static_cast<uint32_t>(text.size() + 1);
  w.u32(n);
  w.u32(0);
  w.u32(n);
  for (char16_t c : text) {
    w.u16(static_cast<uint16_t>(c));
  }
  w.u16(0);
}

bool wideToUtf8(const std::u16string& in, std::string& out) {
  Bytes le;
  le.reserve(in.size() * 2);
  for (char16_t c : in) {
    le.push_back(static_cast<uint8_t>(c));
    le.push_back(static_cast<uint8_t>(c >> 8));
  }
  return utf16leToUtf8(le, out);
}

bool utf8ToWide(const std::string& in, std::u16string& out) {
  Bytes le;
  if (!utf8ToUtf16le(in, le)) {
    return false;
  }
  out.clear();
  for (size_t i = 0; i + 1 < le.size(); i += 2) {
    out.push_back(static_cast<char16_t>(le[i] | (le[i + 1] << 8)));
  }
  return true;
}

bool readCount(ByteReader& r, uint32_t& n, uint32_t cap, size_t minElementBytes, bool& bad) {
  r.align(4);
  n = r.u32();
  if (!r.ok()) {
    return false;
  }
  if (n > cap) {
    bad = true;
    r.fail();
    return false;
  }
  if (minElementBytes != 0 && r.remaining() / minElementBytes < n) {
    r.fail();  // cannot fit: truncated, whatever the count says
    return false;
  }
  return true;
}

bool readPointer(ByteReader& r) {
  r.align(4);
  return r.u32() != 0 && r.ok();
}

void Referents::write(ByteWriter& w, bool present) {
  w.align(4);
  if (present) {
    w.u32(next_);
    next_ += 4;
  } else {
    w.u32(0);
  }
}

bool ContextHandle::isNull() const {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

void ContextHandle::read(ByteReader& r) {
  r.align(4);
  ByteSpan b = r.take(bytes.size());
  if (r.ok()) {
    std::copy(b.begin(), b.end(), bytes.begin());
  }
}

void ContextHandle::write(ByteWriter& w) const {
  w.align(4);
  w.bytes(bytes);
}

}  // namespace bh::mapi::dcerpc::ndr
