#pragma once

// RopSeekStream (0x2E, MS-OXCROPS 2.2.9.8): moves a Stream object's seek pointer; Origin 0
// beginning, 1 current, 2 end.
// On ReturnValue != 0 the response is the header alone (MS-OXCROPS 2.2.1).

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopSeekStreamRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopSeekStream;
  uint8_t origin = 0;
  uint64_t offset = 0;
  bool operator==(const RopSeekStreamRequest&) const = default;
};

struct RopSeekStreamResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopSeekStream;
  uint64_t newPosition = 0;
  bool operator==(const RopSeekStreamResponse&) const = default;
};

bool decode(ByteReader& r, RopSeekStreamRequest& x);
void encode(ByteWriter& w, const RopSeekStreamRequest& x);
bool decode(ByteReader& r, RopSeekStreamResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopSeekStreamResponse& x);

}  // namespace bh::mapi::rop
