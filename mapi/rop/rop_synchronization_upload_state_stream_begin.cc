#include "mapi/rop/rop_synchronization_upload_state_stream_begin.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopSynchronizationUploadStateStreamBeginRequest& x) {
  readRequestHeader(r, x);
  x.stateProperty = r.u32();
  x.transferBufferSize = r.u32();
  return r.ok();
}

void encode(ByteWriter& w, const RopSynchronizationUploadStateStreamBeginRequest& x) {
  writeRequestHeader(w, x);
  w.u32(x.stateProperty);
  w.u32(x.transferBufferSize);
}

bool decode(ByteReader& r, RopSynchronizationUploadStateStreamBeginResponse& x,
            const ResponseContext&) {
  readResponseHeader(r, x);
  return r.ok();
}

void encode(ByteWriter& w, const RopSynchronizationUploadStateStreamBeginResponse& x) {
  writeResponseHeader(w, x);
}

}  // namespace bh::mapi::rop
