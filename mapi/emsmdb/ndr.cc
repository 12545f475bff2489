#include "mapi/emsmdb/ndr.h"

namespace bh::mapi::emsmdb::ndr {

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

}  // namespace bh::mapi::emsmdb::ndr
