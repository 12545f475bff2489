#pragma once

// RopBufferTooSmall (0xFF, MS-OXCROPS 2.2.15.1): a response-only ROP the server puts in place of
// the responses that did not fit rgbOut: SizeNeeded, then the request bytes it did not execute
// (RequestBuffers) up to the end of the RopsList. It has no handle index and no ReturnValue.

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopBufferTooSmallResponse {
  static constexpr RopId kRopId = RopId::RopBufferTooSmall;
  uint16_t sizeNeeded = 0;
  Bytes requestBuffers;
  bool operator==(const RopBufferTooSmallResponse&) const = default;
};

bool decode(ByteReader& r, RopBufferTooSmallResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopBufferTooSmallResponse& x);

}  // namespace bh::mapi::rop
