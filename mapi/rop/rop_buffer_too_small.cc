#include "mapi/rop/rop_buffer_too_small.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopBufferTooSmallResponse& x, const ResponseContext&) {
  x.sizeNeeded = r.u16();
  ByteSpan b = r.take(r.remaining());
  if (!r.ok()) {
    return false;
  }
  x.requestBuffers.assign(b.begin(), b.end());
  return true;
}

void encode(ByteWriter& w, const RopBufferTooSmallResponse& x) {
  w.u16(x.sizeNeeded);
  w.bytes(x.requestBuffers);
}

}  // namespace bh::mapi::rop
