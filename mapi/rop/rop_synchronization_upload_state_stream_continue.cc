#include "mapi/rop/rop_synchronization_upload_state_stream_continue.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopSynchronizationUploadStateStreamContinueRequest& x) {
  readRequestHeader(r, x);
  uint32_t n = r.u32();
  if (!r.ok() || n > r.remaining()) {
    r.fail();
    return false;
  }
  ByteSpan b = r.take(n);
  x.streamData.assign(b.begin(), b.end());
  return r.ok();
}

void encode(ByteWriter& w, const RopSynchronizationUploadStateStreamContinueRequest& x) {
  writeRequestHeader(w, x);
  w.u32(static_cast<uint32_t>(x.streamData.size()));
  w.bytes(x.streamData);
}

bool decode(ByteReader& r, RopSynchronizationUploadStateStreamContinueResponse& x,
            const ResponseContext&) {
  readResponseHeader(r, x);
  return r.ok();
}

void encode(ByteWriter& w, const RopSynchronizationUploadStateStreamContinueResponse& x) {
  writeResponseHeader(w, x);
}

}  // namespace bh::mapi::rop
