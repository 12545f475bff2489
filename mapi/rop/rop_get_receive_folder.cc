#include "mapi/rop/rop_get_receive_folder.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopGetReceiveFolderRequest& x) {
  readRequestHeader(r, x);
  return readString8(r, x.messageClass);
}

void encode(ByteWriter& w, const RopGetReceiveFolderRequest& x) {
  writeRequestHeader(w, x);
  writeString8(w, x.messageClass);
}

bool decode(ByteReader& r, RopGetReceiveFolderResponse& x, const ResponseContext&) {
  readResponseHeader(r, x);
  if (!r.ok() || x.returnValue != kSuccess) {
    return r.ok();
  }
  x.folderId = r.u64();
  return readString8(r, x.explicitMessageClass);
}

void encode(ByteWriter& w, const RopGetReceiveFolderResponse& x) {
  writeResponseHeader(w, x);
  if (x.returnValue != kSuccess) {
    return;
  }
  w.u64(x.folderId);
  writeString8(w, x.explicitMessageClass);
}

}  // namespace bh::mapi::rop
