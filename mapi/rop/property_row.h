#pragma once

// PropertyRow (MS-OXCDATA 2.8.1): Flag 0x00 = StandardPropertyRow (one value per column),
// 0x01 = FlaggedPropertyRow (each value prefixed by a flag: 0x00 value, 0x01 absent, 0x0A error
// code in place of the value). A row is self-delimiting only given its column tags, whose
// property types (MS-OXCDATA 2.11.1) fix each value's size. Values are kept as raw bytes so a
// re-encode is identical; types whose size this codec cannot derive are an error.

#include <cstdint>
#include <vector>

#include "common/bytes.h"

namespace bh::mapi::rop {

constexpr uint8_t kStandardPropertyRow = 0x00;
constexpr uint8_t kFlaggedPropertyRow = 0x01;

struct PropertyRowValue {
  uint8_t flag = 0;  ///< only meaningful in a flagged row
  Bytes raw;         ///< the value's bytes as on the wire (absent: empty)
  bool operator==(const PropertyRowValue&) const = default;
};

struct PropertyRow {
  uint8_t flag = kStandardPropertyRow;
  std::vector<PropertyRowValue> values;
  bool operator==(const PropertyRow&) const = default;
};

/// Reads one value of `propertyType` (the low 16 bits of a PropertyTag) in ROP-buffer form:
/// COUNT is 16 bits for PtypBinary / PtypServerId and 32 bits for multi-valued types.
bool readPropertyValue(ByteReader& r, uint16_t propertyType, Bytes& raw);

bool readPropertyRow(ByteReader& r, const std::vector<uint32_t>& columns, PropertyRow& row);
void writePropertyRow(ByteWriter& w, const PropertyRow& row);

}  // namespace bh::mapi::rop
