#include "mapi/rop/rop_set_stream_size.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopSetStreamSizeRequest& x) {
  readRequestHeader(r, x);
  x.streamSize = r.u64();
  return r.ok();
}

void encode(ByteWriter& w, const RopSetStreamSizeRequest& x) {
  writeRequestHeader(w, x);
  w.u64(x.streamSize);
}

bool decode(ByteReader& r, RopSetStreamSizeResponse& x, const ResponseContext&) {
  readResponseHeader(r, x);
  return r.ok();
}

void encode(ByteWriter& w, const RopSetStreamSizeResponse& x) {
  writeResponseHeader(w, x);
}

}  // namespace bh::mapi::rop
