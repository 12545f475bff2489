#include "mapi/rop/rop_get_contents_table.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopGetContentsTableRequest& x) {
  readRequestHeader(r, x);
  x.outputHandleIndex = r.u8();
  x.tableFlags = r.u8();
  return r.ok();
}

void encode(ByteWriter& w, const RopGetContentsTableRequest& x) {
  writeRequestHeader(w, x);
  w.u8(x.outputHandleIndex);
  w.u8(x.tableFlags);
}

bool decode(ByteReader& r, RopGetContentsTableResponse& x, const ResponseContext&) {
  readResponseHeader(r, x);
  if (!r.ok() || x.returnValue != kSuccess) {
    return r.ok();
  }
  x.rowCount = r.u32();
  return r.ok();
}

void encode(ByteWriter& w, const RopGetContentsTableResponse& x) {
  writeResponseHeader(w, x);
  if (x.returnValue != kSuccess) {
    return;
  }
  w.u32(x.rowCount);
}

}  // namespace bh::mapi::rop
