#include "mapi/rop/rop_open_folder.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopOpenFolderRequest& x) {
  readRequestHeader(r, x);
  x.outputHandleIndex = r.u8();
  x.folderId = r.u64();
  x.openModeFlags = r.u8();
  return r.ok();
}

void encode(ByteWriter& w, const RopOpenFolderRequest& x) {
  writeRequestHeader(w, x);
  w.u8(x.outputHandleIndex);
  w.u64(x.folderId);
  w.u8(x.openModeFlags);
}

bool decode(ByteReader& r, RopOpenFolderResponse& x, const ResponseContext&) {
  readResponseHeader(r, x);
  if (!r.ok() || x.returnValue != kSuccess) {
    return r.ok();
  }
  x.hasRules = r.u8();
  x.isGhosted = r.u8();
  if (!r.ok() || x.isGhosted == 0) {
    return r.ok();
  }
  uint16_t serverCount = r.u16();
  x.cheapServerCount = r.u16();
  // Each name takes at least its terminator: bound the count before allocating.
  if (!r.ok() || serverCount > r.remaining() || x.cheapServerCount > serverCount) {
    r.fail();
    return false;
  }
  x.servers.resize(serverCount);
  for (auto& s : x.servers) {
    if (!readString8(r, s)) {
      return false;
    }
  }
  return true;
}

void encode(ByteWriter& w, const RopOpenFolderResponse& x) {
  writeResponseHeader(w, x);
  if (x.returnValue != kSuccess) {
    return;
  }
  w.u8(x.hasRules);
  w.u8(x.isGhosted);
  if (x.isGhosted == 0) {
    return;
  }
  w.u16(static_cast<uint16_t>(x.servers.size()));
  w.u16(x.cheapServerCount);
  for (const auto& s : x.servers) {
    writeString8(w, s);
  }
}

}  // namespace bh::mapi::rop
