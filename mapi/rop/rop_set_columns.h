#pragma once

// RopSetColumns (0x12, MS-OXCROPS 2.2.5.1): sets the columns a table's rows come back with;
// the accelerator remembers them per table to decode RopQueryRows responses.

#include <vector>

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopSetColumnsRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopSetColumns;
  uint8_t setColumnsFlags = 0;
  std::vector<uint32_t> propertyTags;
  bool operator==(const RopSetColumnsRequest&) const = default;
};

struct RopSetColumnsResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopSetColumns;
  uint8_t tableStatus = 0;
  bool operator==(const RopSetColumnsResponse&) const = default;
};

bool decode(ByteReader& r, RopSetColumnsRequest& x);
void encode(ByteWriter& w, const RopSetColumnsRequest& x);
bool decode(ByteReader& r, RopSetColumnsResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopSetColumnsResponse& x);

}  // namespace bh::mapi::rop
