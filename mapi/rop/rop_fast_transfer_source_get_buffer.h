#pragma once

// RopFastTransferSourceGetBuffer (0x4E, MS-OXCROPS 2.2.13.5): pulls the next chunk of a
// FastTransfer stream (MS-OXCFXICS). BufferSize 0xBABE means "a 16-bit MaximumBufferSize
// follows". Success carries TransferStatus, progress counts and the TransferBuffer; the error
// ServerBusy (0x480) carries BackoffTime; any other error is the header alone.

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

constexpr uint16_t kBufferSizeUseMaximum = 0xbabe;

/// TransferStatus values (MS-OXCROPS 2.2.13.5.2).
enum class TransferStatus : uint16_t {
  Error = 0x0000,
  Partial = 0x0001,
  NoRoom = 0x0002,
  Done = 0x0003
};

struct RopFastTransferSourceGetBufferRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopFastTransferSourceGetBuffer;
  uint16_t bufferSize = 0;
  uint16_t maximumBufferSize = 0;  ///< on the wire only when bufferSize == 0xBABE
  uint32_t requestedBytes() const {
    return bufferSize == kBufferSizeUseMaximum ? maximumBufferSize : bufferSize;
  }
  bool operator==(const RopFastTransferSourceGetBufferRequest&) const = default;
};

struct RopFastTransferSourceGetBufferResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopFastTransferSourceGetBuffer;
  uint16_t transferStatus = 0;
  uint16_t inProgressCount = 0;
  uint16_t totalStepCount = 0;
  uint8_t reserved = 0;
  Bytes transferBuffer;      ///< TransferBufferSize (u16) then the FastTransfer stream bytes
  uint32_t backoffTime = 0;  ///< only when ReturnValue == ServerBusy
  bool operator==(const RopFastTransferSourceGetBufferResponse&) const = default;
};

bool decode(ByteReader& r, RopFastTransferSourceGetBufferRequest& x);
void encode(ByteWriter& w, const RopFastTransferSourceGetBufferRequest& x);
bool decode(ByteReader& r, RopFastTransferSourceGetBufferResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopFastTransferSourceGetBufferResponse& x);

}  // namespace bh::mapi::rop
