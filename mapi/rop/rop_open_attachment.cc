#include "mapi/rop/rop_open_attachment.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopOpenAttachmentRequest& x) {
  readRequestHeader(r, x);
  x.outputHandleIndex = r.u8();
  x.openAttachmentFlags = r.u8();
  x.attachmentId = r.u32();
  return r.ok();
}

void encode(ByteWriter& w, const RopOpenAttachmentRequest& x) {
  writeRequestHeader(w, x);
  w.u8(x.outputHandleIndex);
  w.u8(x.openAttachmentFlags);
  w.u32(x.attachmentId);
}

bool decode(ByteReader& r, RopOpenAttachmentResponse& x, const ResponseContext&) {
  readResponseHeader(r, x);
  return r.ok();
}

void encode(ByteWriter& w, const RopOpenAttachmentResponse& x) {
  writeResponseHeader(w, x);
}

}  // namespace bh::mapi::rop
