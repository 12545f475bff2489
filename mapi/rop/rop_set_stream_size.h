#pragma once

// RopSetStreamSize (0x2F, MS-OXCROPS 2.2.9.6): sets the size of a Stream object (a 64-bit
// StreamSize).
// On ReturnValue != 0 the response is the header alone (MS-OXCROPS 2.2.1).

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopSetStreamSizeRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopSetStreamSize;
  uint64_t streamSize = 0;
  bool operator==(const RopSetStreamSizeRequest&) const = default;
};

struct RopSetStreamSizeResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopSetStreamSize;
  bool operator==(const RopSetStreamSizeResponse&) const = default;
};

bool decode(ByteReader& r, RopSetStreamSizeRequest& x);
void encode(ByteWriter& w, const RopSetStreamSizeRequest& x);
bool decode(ByteReader& r, RopSetStreamSizeResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopSetStreamSizeResponse& x);

}  // namespace bh::mapi::rop
