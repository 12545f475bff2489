#pragma once

// RopReadStream (0x2C, MS-OXCROPS 2.2.9.2). ByteCount 0xBABE means "a 32-bit MaximumByteCount
// follows" and lets the server return as much as fits (the read-ahead case: Outlook asks for
// up to 31744 bytes per read). DataSize and Data are present in every response, error or not.

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

constexpr uint16_t kByteCountUseMaximum = 0xbabe;

struct RopReadStreamRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopReadStream;
  uint16_t byteCount = 0;
  uint32_t maximumByteCount = 0;  ///< on the wire only when byteCount == 0xBABE
  /// The number of bytes the client will accept.
  uint32_t requestedBytes() const {
    return byteCount == kByteCountUseMaximum ? maximumByteCount : byteCount;
  }
  bool operator==(const RopReadStreamRequest&) const = default;
};

struct RopReadStreamResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopReadStream;
  Bytes data;  ///< DataSize (u16) then the bytes
  bool operator==(const RopReadStreamResponse&) const = default;
};

bool decode(ByteReader& r, RopReadStreamRequest& x);
void encode(ByteWriter& w, const RopReadStreamRequest& x);
bool decode(ByteReader& r, RopReadStreamResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopReadStreamResponse& x);

}  // namespace bh::mapi::rop
