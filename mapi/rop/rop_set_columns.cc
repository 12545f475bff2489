#include "mapi/rop/rop_set_columns.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopSetColumnsRequest& x) {
  readRequestHeader(r, x);
  x.setColumnsFlags = r.u8();
  return readPropertyTags(r, x.propertyTags);
}

void encode(ByteWriter& w, const RopSetColumnsRequest& x) {
  writeRequestHeader(w, x);
  w.u8(x.setColumnsFlags);
  writePropertyTags(w, x.propertyTags);
}

bool decode(ByteReader& r, RopSetColumnsResponse& x, const ResponseContext&) {
  readResponseHeader(r, x);
  if (!r.ok() || x.returnValue != kSuccess) {
    return r.ok();
  }
  x.tableStatus = r.u8();
  return r.ok();
}

void encode(ByteWriter& w, const RopSetColumnsResponse& x) {
  writeResponseHeader(w, x);
  if (x.returnValue == kSuccess) {
    w.u8(x.tableStatus);
  }
}

}  // namespace bh::mapi::rop
