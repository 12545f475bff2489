#pragma once

// RopRelease (0x01, MS-OXCROPS 2.2.15.3): frees the Server object at InputHandleIndex. It has
// no response.

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopReleaseRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopRelease;
  bool operator==(const RopReleaseRequest&) const = default;
};

bool decode(ByteReader& r, RopReleaseRequest& x);
void encode(ByteWriter& w, const RopReleaseRequest& x);

}  // namespace bh::mapi::rop
