#include "mapi/rop/rop_fast_transfer_source_copy_to.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopFastTransferSourceCopyToRequest& x) {
  readRequestHeader(r, x);
  x.outputHandleIndex = r.u8();
  x.level = r.u8();
  x.copyFlags = r.u32();
  x.sendOptions = r.u8();
  return readPropertyTags(r, x.propertyTags);
}

void encode(ByteWriter& w, const RopFastTransferSourceCopyToRequest& x) {
  writeRequestHeader(w, x);
  w.u8(x.outputHandleIndex);
  w.u8(x.level);
  w.u32(x.copyFlags);
  w.u8(x.sendOptions);
  writePropertyTags(w, x.propertyTags);
}

bool decode(ByteReader& r, RopFastTransferSourceCopyToResponse& x, const ResponseContext&) {
  readResponseHeader(r, x);
  return r.ok();
}

void encode(ByteWriter& w, const RopFastTransferSourceCopyToResponse& x) {
  writeResponseHeader(w, x);
}

}  // namespace bh::mapi::rop
