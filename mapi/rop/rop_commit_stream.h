#pragma once

// RopCommitStream (0x5D, MS-OXCROPS 2.2.9.4): commits a Stream object's changes to its property.
// On ReturnValue != 0 the response is the header alone (MS-OXCROPS 2.2.1).

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopCommitStreamRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopCommitStream;
  bool operator==(const RopCommitStreamRequest&) const = default;
};

struct RopCommitStreamResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopCommitStream;
  bool operator==(const RopCommitStreamResponse&) const = default;
};

bool decode(ByteReader& r, RopCommitStreamRequest& x);
void encode(ByteWriter& w, const RopCommitStreamRequest& x);
bool decode(ByteReader& r, RopCommitStreamResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopCommitStreamResponse& x);

}  // namespace bh::mapi::rop
