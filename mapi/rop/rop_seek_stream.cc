#include "mapi/rop/rop_seek_stream.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopSeekStreamRequest& x) {
  readRequestHeader(r, x);
  x.origin = r.u8();
  x.offset = r.u64();
  return r.ok();
}

void encode(ByteWriter& w, const RopSeekStreamRequest& x) {
  writeRequestHeader(w, x);
  w.u8(x.origin);
  w.u64(x.offset);
}

bool decode(ByteReader& r, RopSeekStreamResponse& x, const ResponseContext&) {
  readResponseHeader(r, x);
  if (!r.ok() || x.returnValue != kSuccess) {
    return r.ok();
  }
  x.newPosition = r.u64();
  return r.ok();
}

void encode(ByteWriter& w, const RopSeekStreamResponse& x) {
  writeResponseHeader(w, x);
  if (x.returnValue != kSuccess) {
    return;
  }
  w.u64(x.newPosition);
}

}  // namespace bh::mapi::rop
