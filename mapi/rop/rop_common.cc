#include "mapi/rop/rop_common.h"

namespace bh::mapi::rop {

void readResponseHeader(ByteReader& r, RopResponseHeader& h) {
  h.handleIndex = r.u8();
  h.returnValue = r.u32();
}

void writeResponseHeader(ByteWriter& w, const RopResponseHeader& h) {
  w.u8(h.handleIndex);
  w.u32(h.returnValue);
}

bool readString8(ByteReader& r, std::string& out) {
  out.clear();
  while (true) {
    uint8_t c = r.u8();
    if (!r.ok()) {
      return false;
    }
    if (c == 0) {
      return true;
    }
    out.push_back(static_cast<char>(c));
  }
}

void writeString8(ByteWriter& w, const std::string& s) {
  w.bytes(ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  w.u8(0);
}

bool readPropertyTags(ByteReader& r, std::vector<uint32_t>& tags) {
  uint16_t n = r.u16();
  if (!r.ok() || size_t{n} * 4 > r.remaining()) {
    r.fail();
    return false;
  }
  tags.resize(n);
  for (auto& t : tags) {
    t = r.u32();
  }
  return r.ok();
}

void writePropertyTags(ByteWriter& w, const std::vector<uint32_t>& tags) {
  w.u16(static_cast<uint16_t>(tags.size()));
  for (uint32_t t : tags) {
    w.u32(t);
  }
}

}  // namespace bh::mapi::rop
