#include "mapi/rop/rop_get_attachment_table.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopGetAttachmentTableRequest& x) {
  readRequestHeader(r, x);
  x.outputHandleIndex = r.u8();
  x.tableFlags = r.u8();
  return r.ok();
}

void encode(ByteWriter& w, const RopGetAttachmentTableRequest& x) {
  writeRequestHeader(w, x);
  w.u8(x.outputHandleIndex);
  w.u8(x.tableFlags);
}

bool decode(ByteReader& r, RopGetAttachmentTableResponse& x, const ResponseContext&) {
  readResponseHeader(r, x);
  return r.ok();
}

void encode(ByteWriter& w, const RopGetAttachmentTableResponse& x) {
  writeResponseHeader(w, x);
}

}  // namespace bh::mapi::rop
