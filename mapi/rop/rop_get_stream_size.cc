#include "mapi/rop/rop_get_stream_size.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopGetStreamSizeRequest& x) {
  readRequestHeader(r, x);
  return r.ok();
}

void encode(ByteWriter& w, const RopGetStreamSizeRequest& x) {
  writeRequestHeader(w, x);
}

bool decode(ByteReader& r, RopGetStreamSizeResponse& x, const ResponseContext&) {
  readResponseHeader(r, x);
  if (!r.ok() || x.returnValue != kSuccess) {
    return r.ok();
  }
  x.streamSize = r.u32();
  return r.ok();
}

void encode(ByteWriter& w, const RopGetStreamSizeResponse& x) {
  writeResponseHeader(w, x);
  if (x.returnValue != kSuccess) {
    return;
  }
  w.u32(x.streamSize);
}

}  // namespace bh::mapi::rop
