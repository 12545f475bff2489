#include "mapi/drsuapi/drs_extensions.h"

#include <algorithm>

namespace bh::mapi::drsuapi {

DrsExtensionsInt DrsExtensionsInt::parse(ByteSpan rgb) {
  // Zero-extend to the full size, then read every field: a field beyond cb reads as zero.
  Bytes full(kFullSize, 0);
  std::copy_n(rgb.begin(), std::min(rgb.size(), kFullSize), full.begin());
  ByteReader r(full);
  DrsExtensionsInt e;
  e.dwFlags = r.u32();
  e.siteObjGuid = dcerpc::Uuid::read(r);
  e.pid = r.u32();
  e.dwReplEpoch = r.u32();
  e.dwFlagsExt = r.u32();
  e.configObjGuid = dcerpc::Uuid::read(r);
  e.dwExtCaps = r.u32();
  return e;
}

DrsExtensions DrsExtensionsInt::serialize(size_t cb) const {
  Bytes full;
  ByteWriter w(full);
  w.u32(dwFlags);
  siteObjGuid.write(w);
  w.u32(pid);
  w.u32(dwReplEpoch);
  w.u32(dwFlagsExt);
  configObjGuid.write(w);
  w.u32(dwExtCaps);
  full.resize(std::min(cb, kFullSize));
  return DrsExtensions{std::move(full)};
}

}  // namespace bh::mapi::drsuapi
