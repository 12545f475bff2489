#include "mapi/rop/rop_open_stream.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopOpenStreamRequest& x) {
  readRequestHeader(r, x);
  x.outputHandleIndex = r.u8();
  x.propertyTag = r.u32();
  x.openModeFlags = r.u8();
  return r.ok();
}

void encode(ByteWriter& w, const RopOpenStreamRequest& x) {
  writeRequestHeader(w, x);
  w.u8(x.outputHandleIndex);
  w.u32(x.propertyTag);
  w.u8(x.openModeFlags);
}

bool decode(ByteReader& r, RopOpenStreamResponse& x, const ResponseContext&) {
  readResponseHeader(r, x);
  if (!r.ok() || x.returnValue != kSuccess) {
    return r.ok();
  }
  x.streamSize = r.u32();
  return r.ok();
}

void encode(ByteWriter& w, const RopOpenStreamResponse& x) {
  writeResponseHeader(w, x);
  if (x.returnValue != kSuccess) {
    return;
  }
  w.u32(x.streamSize);
}

}  // namespace bh::mapi::rop
