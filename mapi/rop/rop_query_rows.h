#pragma once

// RopQueryRows (0x15, MS-OXCROPS 2.2.5.4): reads RowCount rows of a table. The rows are
// PropertyRows laid out by the table's columns (RopSetColumns), so the response decoder needs
// them (ResponseContext::columns, by InputHandleIndex); without them RowData is kept as opaque
// bytes up to the end of the RopsList.

#include <vector>

#include "mapi/rop/property_row.h"
#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopQueryRowsRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopQueryRows;
  uint8_t queryRowsFlags = 0;
  uint8_t forwardRead = 0;
  uint16_t rowCount = 0;
  bool operator==(const RopQueryRowsRequest&) const = default;
};

struct RopQueryRowsResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopQueryRows;
  uint8_t origin = 0;
  uint16_t rowCount = 0;
  bool opaque = false;  ///< columns unknown: rowBytes holds RowData as is
  std::vector<PropertyRow> rows;
  Bytes rowBytes;
  bool operator==(const RopQueryRowsResponse&) const = default;
};

bool decode(ByteReader& r, RopQueryRowsRequest& x);
void encode(ByteWriter& w, const RopQueryRowsRequest& x);
bool decode(ByteReader& r, RopQueryRowsResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopQueryRowsResponse& x);

}  // namespace bh::mapi::rop
