#pragma once

// RopGetPropertiesSpecific (0x07, MS-OXCROPS 2.2.8.3): reads the listed properties of an
// object. The response's RowData is a PropertyRow (MS-OXCDATA 2.8.1) laid out by the request's
// PropertyTags, so the response decoder needs them (ResponseContext::propertyTags, by
// InputHandleIndex); without them RowData is kept as opaque bytes up to the end of the RopsList
// (and must then be the last ROP there).

#include <vector>

#include "mapi/rop/property_row.h"
#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopGetPropertiesSpecificRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopGetPropertiesSpecific;
  uint16_t propertySizeLimit = 0;
  uint16_t wantUnicode = 0;
  std::vector<uint32_t> propertyTags;
  bool operator==(const RopGetPropertiesSpecificRequest&) const = default;
};

struct RopGetPropertiesSpecificResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopGetPropertiesSpecific;
  bool opaque = false;  ///< the tags were unknown: rowBytes holds RowData as is
  PropertyRow rowData;
  Bytes rowBytes;
  bool operator==(const RopGetPropertiesSpecificResponse&) const = default;
};

bool decode(ByteReader& r, RopGetPropertiesSpecificRequest& x);
void encode(ByteWriter& w, const RopGetPropertiesSpecificRequest& x);
bool decode(ByteReader& r, RopGetPropertiesSpecificResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopGetPropertiesSpecificResponse& x);

}  // namespace bh::mapi::rop
