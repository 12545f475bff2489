#pragma once

// RopOpenStream (0x2B, MS-OXCROPS 2.2.9.1): opens a property as a Stream object; the response
// gives the stream's size.
// On ReturnValue != 0 the response is the header alone (MS-OXCROPS 2.2.1).

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopOpenStreamRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopOpenStream;
  uint8_t outputHandleIndex = 0;
  uint32_t propertyTag = 0;
  uint8_t openModeFlags = 0;
  bool operator==(const RopOpenStreamRequest&) const = default;
};

struct RopOpenStreamResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopOpenStream;
  uint32_t streamSize = 0;
  bool operator==(const RopOpenStreamResponse&) const = default;
};

bool decode(ByteReader& r, RopOpenStreamRequest& x);
void encode(ByteWriter& w, const RopOpenStreamRequest& x);
bool decode(ByteReader& r, RopOpenStreamResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopOpenStreamResponse& x);

}  // namespace bh::mapi::rop
