#include "mapi/rop/rop_read_stream.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopReadStreamRequest& x) {
  readRequestHeader(r, x);
  x.byteCount = r.u16();
  x.maximumByteCount = x.byteCount == kByteCountUseMaximum ? r.u32() : 0;
  return r.ok();
}

void encode(ByteWriter& w, const RopReadStreamRequest& x) {
  writeRequestHeader(w, x);
  w.u16(x.byteCount);
  if (x.byteCount == kByteCountUseMaximum) {
    w.u32(x.maximumByteCount);
  }
}

bool decode(ByteReader& r, RopReadStreamResponse& x, const ResponseContext&) {
  readResponseHeader(r, x);
  uint16_t n = r.u16();
  ByteSpan b = r.take(n);
  if (!r.ok()) {
    return false;
  }
  x.data.assign(b.begin(), b.end());
  return true;
}

void encode(ByteWriter& w, const RopReadStreamResponse& x) {
  writeResponseHeader(w, x);
  w.u16(static_cast<uint16_t>(x.data.size()));
  w.bytes(x.data);
}

}  // namespace bh::mapi::rop
