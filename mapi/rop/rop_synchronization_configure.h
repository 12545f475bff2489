#pragma once

// RopSynchronizationConfigure (0x70, MS-OXCROPS 2.2.13.1): configures an ICS download
// (cached-mode sync, MS-OXCFXICS) whose stream then flows through
// RopFastTransferSourceGetBuffer. The restriction is kept opaque (RestrictionDataSize bytes).
// The response is the header alone.

#include <vector>

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopSynchronizationConfigureRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopSynchronizationConfigure;
  uint8_t outputHandleIndex = 0;
  uint8_t synchronizationType = 0;  ///< 0x01 contents, 0x02 hierarchy
  uint8_t sendOptions = 0;
  uint16_t synchronizationFlags = 0;
  Bytes restrictionData;
  uint32_t synchronizationExtraFlags = 0;
  std::vector<uint32_t> propertyTags;
  bool operator==(const RopSynchronizationConfigureRequest&) const = default;
};

struct RopSynchronizationConfigureResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopSynchronizationConfigure;
  bool operator==(const RopSynchronizationConfigureResponse&) const = default;
};

bool decode(ByteReader& r, RopSynchronizationConfigureRequest& x);
void encode(ByteWriter& w, const RopSynchronizationConfigureRequest& x);
bool decode(ByteReader& r, RopSynchronizationConfigureResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopSynchronizationConfigureResponse& x);

}  // namespace bh::mapi::rop
