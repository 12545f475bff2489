#include "mapi/rop/rop_logon.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopLogonRequest& x) {
  x.logonId = r.u8();
  x.outputHandleIndex = r.u8();
  x.logonFlags = r.u8();
  x.openFlags = r.u32();
  x.storeState = r.u32();
  uint16_t n = r.u16();
  ByteSpan b = r.take(n);
  if (!r.ok() || (n != 0 && b.back() != 0)) {
    r.fail();  // Essdn is null-terminated (MS-OXCROPS 2.2.3.1.1)
    return false;
  }
  x.essdn.assign(b.begin(), b.end());
  return true;
}

void encode(ByteWriter& w, const RopLogonRequest& x) {
  w.u8(x.logonId);
  w.u8(x.outputHandleIndex);
  w.u8(x.logonFlags);
  w.u32(x.openFlags);
  w.u32(x.storeState);
  w.u16(static_cast<uint16_t>(x.essdn.size()));
  w.bytes(x.essdn);
}

bool decode(ByteReader& r, RopLogonResponse& x, const ResponseContext&) {
  readResponseHeader(r, x);
  if (!r.ok()) {
    return false;
  }
  if (x.isRedirect()) {
    x.logonFlags = r.u8();
    uint8_t n = r.u8();
    ByteSpan b = r.take(n);
    if (!r.ok() || n == 0 || b.back() != 0) {
      r.fail();
      return false;
    }
    x.serverName.assign(b.begin(), b.end());
    return true;
  }
  if (x.returnValue != kSuccess) {
    return true;
  }
  x.logonFlags = r.u8();
  for (auto& id : x.folderIds) {
    id = r.u64();
  }
  if (x.isPrivate()) {
    x.responseFlags = r.u8();
    readArray(r, x.mailboxGuid);
    x.replId = r.u16();
    readArray(r, x.replGuid);
    x.logonTime.seconds = r.u8();
    x.logonTime.minutes = r.u8();
    x.logonTime.hour = r.u8();
    x.logonTime.dayOfWeek = r.u8();
    x.logonTime.day = r.u8();
    x.logonTime.month = r.u8();
    x.logonTime.year = r.u16();
    x.gwartTime = r.u64();
    x.storeState = r.u32();
  } else {
    x.replId = r.u16();
    readArray(r, x.replGuid);
    readArray(r, x.perUserGuid);
  }
  return r.ok();
}

void encode(ByteWriter& w, const RopLogonResponse& x) {
  writeResponseHeader(w, x);
  if (x.isRedirect()) {
    w.u8(x.logonFlags);
    w.u8(static_cast<uint8_t>(x.serverName.size()));
    w.bytes(x.serverName);
    return;
  }
  if (x.returnValue != kSuccess) {
    return;
  }
  w.u8(x.logonFlags);
  for (uint64_t id : x.folderIds) {
    w.u64(id);
  }
  if (x.isPrivate()) {
    w.u8(x.responseFlags);
    w.bytes(x.mailboxGuid);
    w.u16(x.replId);
    w.bytes(x.replGuid);
    w.u8(x.logonTime.seconds);
    w.u8(x.logonTime.minutes);
    w.u8(x.logonTime.hour);
    w.u8(x.logonTime.dayOfWeek);
    w.u8(x.logonTime.day);
    w.u8(x.logonTime.month);
    w.u16(x.logonTime.year);
    w.u64(x.gwartTime);
    w.u32(x.storeState);
  } else {
    w.u16(x.replId);
    w.bytes(x.replGuid);
    w.bytes(x.perUserGuid);
  }
}

}  // namespace bh::mapi::rop
