#pragma once

// RopWriteStream (0x2D, MS-OXCROPS 2.2.9.3): DataSize (u16) bytes to write at the seek pointer.
// WrittenSize is present in every response, error or not.

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopWriteStreamRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopWriteStream;
  Bytes data;
  bool operator==(const RopWriteStreamRequest&) const = default;
};

struct RopWriteStreamResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopWriteStream;
  uint16_t writtenSize = 0;
  bool operator==(const RopWriteStreamResponse&) const = default;
};

bool decode(ByteReader& r, RopWriteStreamRequest& x);
void encode(ByteWriter& w, const RopWriteStreamRequest& x);
bool decode(ByteReader& r, RopWriteStreamResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopWriteStreamResponse& x);

}  // namespace bh::mapi::rop
