#include "mapi/rop/rop_synchronization_upload_state_stream_end.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopSynchronizationUploadStateStreamEndRequest& x) {
  readRequestHeader(r, x);
  return r.ok();
}

void encode(ByteWriter& w, const RopSynchronizationUploadStateStreamEndRequest& x) {
  writeRequestHeader(w, x);
}

bool decode(ByteReader& r, RopSynchronizationUploadStateStreamEndResponse& x,
            const ResponseContext&) {
  readResponseHeader(r, x);
  return r.ok();
}

void encode(ByteWriter& w, const RopSynchronizationUploadStateStreamEndResponse& x) {
  writeResponseHeader(w, x);
}

}  // namespace bh::mapi::rop
