#pragma once

// RopGetHierarchyTable (0x04, MS-OXCROPS 2.2.4.13): opens the hierarchy (subfolder) table of a
// folder; RowCount is the number of subfolders.
// On ReturnValue != 0 the response is the header alone (MS-OXCROPS 2.2.1).

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopGetHierarchyTableRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopGetHierarchyTable;
  uint8_t outputHandleIndex = 0;
  uint8_t tableFlags = 0;
  bool operator==(const RopGetHierarchyTableRequest&) const = default;
};

struct RopGetHierarchyTableResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopGetHierarchyTable;
  uint32_t rowCount = 0;
  bool operator==(const RopGetHierarchyTableResponse&) const = default;
};

bool decode(ByteReader& r, RopGetHierarchyTableRequest& x);
void encode(ByteWriter& w, const RopGetHierarchyTableRequest& x);
bool decode(ByteReader& r, RopGetHierarchyTableResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopGetHierarchyTableResponse& x);

}  // namespace bh::mapi::rop
