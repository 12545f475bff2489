#include "mapi/rop/rop_synchronization_configure.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopSynchronizationConfigureRequest& x) {
  readRequestHeader(r, x);
  x.outputHandleIndex = r.u8();
  x.synchronizationType = r.u8();
  x.sendOptions = r.u8();
  x.synchronizationFlags = r.u16();
  uint16_t n = r.u16();
  ByteSpan b = r.take(n);
  if (!r.ok()) {
    return false;
  }
  x.restrictionData.assign(b.begin(), b.end());
  x.synchronizationExtraFlags = r.u32();
  return readPropertyTags(r, x.propertyTags);
}

void encode(ByteWriter& w, const RopSynchronizationConfigureRequest& x) {
  writeRequestHeader(w, x);
  w.u8(x.outputHandleIndex);
  w.u8(x.synchronizationType);
  w.u8(x.sendOptions);
  w.u16(x.synchronizationFlags);
  w.u16(static_cast<uint16_t>(x.restrictionData.size()));
  w.bytes(x.restrictionData);
  w.u32(x.synchronizationExtraFlags);
  writePropertyTags(w, x.propertyTags);
}

bool decode(ByteReader& r, RopSynchronizationConfigureResponse& x, const ResponseContext&) {
  readResponseHeader(r, x);
  return r.ok();
}

void encode(ByteWriter& w, const RopSynchronizationConfigureResponse& x) {
  writeResponseHeader(w, x);
}

}  // namespace bh::mapi::rop
