#include "mapi/rop/rop_write_stream.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopWriteStreamRequest& x) {
  readRequestHeader(r, x);
  uint16_t n = r.u16();
  ByteSpan b = r.take(n);
  if (!r.ok()) {
    return false;
  }
  x.data.assign(b.begin(), b.end());
  return true;
}

void encode(ByteWriter& w, const RopWriteStreamRequest& x) {
  writeRequestHeader(w, x);
  w.u16(static_cast<uint16_t>(x.data.size()));
  w.bytes(x.data);
}

bool decode(ByteReader& r, RopWriteStreamResponse& x, const ResponseContext&) {
  readResponseHeader(r, x);
  x.writtenSize = r.u16();
  return r.ok();
}

void encode(ByteWriter& w, const RopWriteStreamResponse& x) {
  writeResponseHeader(w, x);
  w.u16(x.writtenSize);
}

}  // namespace bh::mapi::rop
