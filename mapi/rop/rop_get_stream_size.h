#pragma once

// RopGetStreamSize (0x5E, MS-OXCROPS 2.2.9.5): asks for the current size of a Stream object.
// On ReturnValue != 0 the response is the header alone (MS-OXCROPS 2.2.1).

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopGetStreamSizeRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopGetStreamSize;
  bool operator==(const RopGetStreamSizeRequest&) const = default;
};

struct RopGetStreamSizeResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopGetStreamSize;
  uint32_t streamSize = 0;
  bool operator==(const RopGetStreamSizeResponse&) const = default;
};

bool decode(ByteReader& r, RopGetStreamSizeRequest& x);
void encode(ByteWriter& w, const RopGetStreamSizeRequest& x);
bool decode(ByteReader& r, RopGetStreamSizeResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopGetStreamSizeResponse& x);

}  // namespace bh::mapi::rop
