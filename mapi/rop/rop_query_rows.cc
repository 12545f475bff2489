#include "mapi/rop/rop_query_rows.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopQueryRowsRequest& x) {
  readRequestHeader(r, x);
  x.queryRowsFlags = r.u8();
  x.forwardRead = r.u8();
  x.rowCount = r.u16();
  return r.ok();
}

void encode(ByteWriter& w, const RopQueryRowsRequest& x) {
  writeRequestHeader(w, x);
  w.u8(x.queryRowsFlags);
  w.u8(x.forwardRead);
  w.u16(x.rowCount);
}

bool decode(ByteReader& r, RopQueryRowsResponse& x, const ResponseContext& ctx) {
  readResponseHeader(r, x);
  if (!r.ok() || x.returnValue != kSuccess) {
    return r.ok();
  }
  x.origin = r.u8();
  x.rowCount = r.u16();
  if (!r.ok()) {
    return false;
  }
  auto columns = ctx.columns.find(x.handleIndex);
  if (columns == ctx.columns.end()) {
    x.opaque = true;
    ByteSpan b = r.take(r.remaining());
    x.rowBytes.assign(b.begin(), b.end());
    return r.ok();
  }
  // Every row takes at least its Flag byte: bound RowCount before allocating.
  if (x.rowCount > r.remaining()) {
    r.fail();
    return false;
  }
  x.rows.resize(x.rowCount);
  for (auto& row : x.rows) {
    if (!readPropertyRow(r, columns->second, row)) {
      return false;
    }
  }
  return true;
}

void encode(ByteWriter& w, const RopQueryRowsResponse& x) {
  writeResponseHeader(w, x);
  if (x.returnValue != kSuccess) {
    return;
  }
  w.u8(x.origin);
  w.u16(x.opaque ? x.rowCount : static_cast<uint16_t>(x.rows.size()));
  if (x.opaque) {
    w.bytes(x.rowBytes);
    return;
  }
  for (const auto& row : x.rows) {
    writePropertyRow(w, row);
  }
}

}  // namespace bh::mapi::rop
