#include "mapi/rop/rop_fast_transfer_source_get_buffer.h"

namespace bh::mapi::rop {

bool decode(ByteReader& r, RopFastTransferSourceGetBufferRequest& x) {
  readRequestHeader(r, x);
  x.bufferSize = r.u16();
  x.maximumBufferSize = x.bufferSize == kBufferSizeUseMaximum ? r.u16() : 0;
  return r.ok();
}

void encode(ByteWriter& w, const RopFastTransferSourceGetBufferRequest& x) {
  writeRequestHeader(w, x);
  w.u16(x.bufferSize);
  if (x.bufferSize == kBufferSizeUseMaximum) {
    w.u16(x.maximumBufferSize);
  }
}

bool decode(ByteReader& r, RopFastTransferSourceGetBufferResponse& x, const ResponseContext&) {
  readResponseHeader(r, x);
  if (!r.ok()) {
    return false;
  }
  if (x.returnValue == kErrorServerBusy) {
    x.backoffTime = r.u32();
    return r.ok();
  }
  if (x.returnValue != kSuccess) {
    return true;
  }
  x.transferStatus = r.u16();
  x.inProgressCount = r.u16();
  x.totalStepCount = r.u16();
  x.reserved = r.u8();
  uint16_t n = r.u16();
  if (r.ok() && x.transferStatus > static_cast<uint16_t>(TransferStatus::Done)) {
    r.fail();
  }
  ByteSpan b = r.take(n);
  if (!r.ok()) {
    return false;
  }
  x.transferBuffer.assign(b.begin(), b.end());
  return true;
}

void encode(ByteWriter& w, const RopFastTransferSourceGetBufferResponse& x) {
  writeResponseHeader(w, x);
  if (x.returnValue == kErrorServerBusy) {
    w.u32(x.backoffTime);
    return;
  }
  if (x.returnValue != kSuccess) {
    return;
  }
  w.u16(x.transferStatus);
  w.u16(x.inProgressCount);
  w.u16(x.totalStepCount);
  w.u8(x.reserved);
  w.u16(static_cast<uint16_t>(x.transferBuffer.size()));
  w.bytes(x.transferBuffer);
}

}  // namespace bh::mapi::rop
