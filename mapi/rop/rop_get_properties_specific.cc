#include "mapi/rop/rop_get_properties_specific.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopGetPropertiesSpecificRequest& x) {
  readRequestHeader(r, x);
  x.propertySizeLimit = r.u16();
  x.wantUnicode = r.u16();
  return readPropertyTags(r, x.propertyTags);
}

void encode(ByteWriter& w, const RopGetPropertiesSpecificRequest& x) {
  writeRequestHeader(w, x);
  w.u16(x.propertySizeLimit);
  w.u16(x.wantUnicode);
  writePropertyTags(w, x.propertyTags);
}

bool decode(ByteReader& r, RopGetPropertiesSpecificResponse& x, const ResponseContext& ctx) {
  readResponseHeader(r, x);
  if (!r.ok() || x.returnValue != kSuccess) {
    return r.ok();
  }
  auto tags = ctx.propertyTags.find(x.handleIndex);
  if (tags == ctx.propertyTags.end()) {
    x.opaque = true;
    ByteSpan b = r.take(r.remaining());
    x.rowBytes.assign(b.begin(), b.end());
    return r.ok();
  }
  return readPropertyRow(r, tags->second, x.rowData);
}

void encode(ByteWriter& w, const RopGetPropertiesSpecificResponse& x) {
  writeResponseHeader(w, x);
  if (x.returnValue != kSuccess) {
    return;
  }
  if (x.opaque) {
    w.bytes(x.rowBytes);
  } else {
    writePropertyRow(w, x.rowData);
  }
}

}  // namespace bh::mapi::rop
