#include "mapi/rop/rop_get_hierarchy_table.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopGetHierarchyTableRequest& x) {
  readRequestHeader(r, x);
  x.outputHandleIndex = r.u8();
  x.tableFlags = r.u8();
  return r.ok();
}

void encode(ByteWriter& w, const RopGetHierarchyTableRequest& x) {
  writeRequestHeader(w, x);
  w.u8(x.outputHandleIndex);
  w.u8(x.tableFlags);
}

bool decode(ByteReader& r, RopGetHierarchyTableResponse& x, const ResponseContext&) {
  readResponseHeader(r, x);
  if (!r.ok() || x.returnValue != kSuccess) {
    return r.ok();
  }
  x.rowCount = r.u32();
  return r.ok();
}

void encode(ByteWriter& w, const RopGetHierarchyTableResponse& x) {
  writeResponseHeader(w, x);
  if (x.returnValue != kSuccess) {
    return;
  }
  w.u32(x.rowCount);
}

}  // namespace bh::mapi::rop
