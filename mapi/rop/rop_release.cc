#include "mapi/rop/rop_release.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopReleaseRequest& x) {
  readRequestHeader(r, x);
  return r.ok();
}

void encode(ByteWriter& w, const RopReleaseRequest& x) {
  writeRequestHeader(w, x);
}

}  // namespace bh::mapi::rop
