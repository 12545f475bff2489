#pragma once

// RopFastTransferSourceCopyTo (0x4D, MS-OXCROPS 2.2.13.6): makes a FastTransfer download
// context for an object's properties (message bodies, attachments), read later with
// RopFastTransferSourceGetBuffer. The response is the header alone.

#include <vector>

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopFastTransferSourceCopyToRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopFastTransferSourceCopyTo;
  uint8_t outputHandleIndex = 0;
  uint8_t level = 0;
  uint32_t copyFlags = 0;
  uint8_t sendOptions = 0;
  std::vector<uint32_t> propertyTags;  ///< properties to exclude
  bool operator==(const RopFastTransferSourceCopyToRequest&) const = default;
};

struct RopFastTransferSourceCopyToResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopFastTransferSourceCopyTo;
  bool operator==(const RopFastTransferSourceCopyToResponse&) const = default;
};

bool decode(ByteReader& r, RopFastTransferSourceCopyToRequest& x);
void encode(ByteWriter& w, const RopFastTransferSourceCopyToRequest& x);
bool decode(ByteReader& r, RopFastTransferSourceCopyToResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopFastTransferSourceCopyToResponse& x);

}  // namespace bh::mapi::rop
