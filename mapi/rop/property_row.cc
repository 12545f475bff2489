#include "mapi/rop/property_row.h"

#include "mapi/rop/rop_common.h"

namespace bh::mapi::rop {

namespace {

constexpr uint16_t kPtypUnspecified = 0x0000;
constexpr uint16_t kPtypErrorCode = 0x000a;
constexpr uint16_t kMultiValued = 0x1000;

bool append(ByteReader& r, size_t n, Bytes& raw) {
  if (n > r.remaining()) {
    r.fail();
    return false;
  }
  ByteSpan b = r.take(n);
  raw.insert(raw.end(), b.begin(), b.end());
  return r.ok();
}

// Fixed sizes of the single-valued types (MS-OXCDATA 2.11.1); 0 = not fixed.
size_t fixedSize(uint16_t type) {
  switch (type) {
    case 0x0001:  // PtypNull
      return SIZE_MAX;
    case 0x0002:  // PtypInteger16
      return 2;
    case 0x0003:  // PtypInteger32
    case 0x0004:  // PtypFloating32
    case 0x000a:  // PtypErrorCode
      return 4;
    case 0x0005:  // PtypFloating64
    case 0x0006:  // PtypCurrency
    case 0x0007:  // PtypFloatingTime
    case 0x0014:  // PtypInteger64
    case 0x0040:  // PtypTime
      return 8;
    case 0x000b:  // PtypBoolean
      return 1;
    case 0x0048:  // PtypGuid
      return 16;
    default:
      return 0;
  }
}

bool readString8Raw(ByteReader& r, Bytes& raw) {
  while (true) {
    uint8_t c = r.u8();
    if (!r.ok()) {
      return false;
    }
    raw.push_back(c);
    if (c == 0) {
      return true;
    }
  }
}

bool readUtf16Raw(ByteReader& r, Bytes& raw) {
  while (true) {
    uint16_t c = r.u16();
    if (!r.ok()) {
      return false;
    }
    raw.push_back(static_cast<uint8_t>(c));
    raw.push_back(static_cast<uint8_t>(c >> 8));
    if (c == 0) {
      return true;
    }
  }
}

bool readSingle(ByteReader& r, uint16_t type, Bytes& raw) {
  size_t fixed = fixedSize(type);
  if (fixed == SIZE_MAX) {
    return true;  // PtypNull has no bytes
  }
  if (fixed != 0) {
    return append(r, fixed, raw);
  }
  switch (type) {
    case 0x001e:  // PtypString8
      return readString8Raw(r, raw);
    case 0x001f:  // PtypString
      return readUtf16Raw(r, raw);
    case 0x00fb:  // PtypServerId
    case 0x0102:  // PtypBinary
    {
      uint16_t n = r.u16();
      if (!r.ok()) {
        return false;
      }
      raw.push_back(static_cast<uint8_t>(n));
      raw.push_back(static_cast<uint8_t>(n >> 8));
      return append(r, n, raw);
    }
    default:
      r.fail();  // PtypObject, PtypRestriction, PtypRuleAction, ...: not derivable here
      return false;
  }
}

}  // namespace

bool readPropertyValue(ByteReader& r, uint16_t type, Bytes& raw) {
  if ((type & kMultiValued) == 0) {
    return readSingle(r, type, raw);
  }
  uint16_t item = static_cast<uint16_t>(type & ~kMultiValued);
  uint32_t n = r.u32();
  if (!r.ok() || n > r.remaining()) {  // every item takes at least one byte
    r.fail();
    return false;
  }
  for (int i = 0; i < 4; ++i) {
    raw.push_back(static_cast<uint8_t>(n >> (8 * i)));
  }
  if (item == 0x0001 || item == 0x000a || item == 0x000b || item == 0x00fb) {
    r.fail();  // no multi-valued form in MS-OXCDATA 2.11.1
    return false;
  }
  for (uint32_t i = 0; i < n; ++i) {
    if (!readSingle(r, item, raw)) {
      return false;
    }
  }
  return true;
}

bool readPropertyRow(ByteReader& r, const std::vector<uint32_t>& columns, PropertyRow& row) {
  row.flag = r.u8();
  if (!r.ok() || (row.flag != kStandardPropertyRow && row.flag != kFlaggedPropertyRow)) {
    r.fail();
    return false;
  }
  row.values.clear();
  row.values.reserve(columns.size());
  for (uint32_t tag : columns) {
    PropertyRowValue v;
    uint16_t type = static_cast<uint16_t>(tag & 0xffff);
    if (row.flag == kFlaggedPropertyRow) {
      v.flag = r.u8();
      if (!r.ok()) {
        return false;
      }
      if (v.flag == 0x01) {
        row.values.push_back(std::move(v));
        continue;
      }
      if (v.flag == 0x0a) {
        type = kPtypErrorCode;
      } else if (v.flag != 0x00) {
        r.fail();
        return false;
      }
    }
    if (type == kPtypUnspecified) {
      // A TypedPropertyValue: the type travels with the value (MS-OXCDATA 2.11.3).
      uint16_t actual = r.u16();
      if (!r.ok() || actual == kPtypUnspecified) {
        r.fail();
        return false;
      }
      v.raw.push_back(static_cast<uint8_t>(actual));
      v.raw.push_back(static_cast<uint8_t>(actual >> 8));
      type = actual;
    }
    if (!readPropertyValue(r, type, v.raw)) {
      return false;
    }
    row.values.push_back(std::move(v));
  }
  return true;
}

void writePropertyRow(ByteWriter& w, const PropertyRow& row) {
  w.u8(row.flag);
  for (const PropertyRowValue& v : row.values) {
    if (row.flag == kFlaggedPropertyRow) {
      w.u8(v.flag);
    }
    w.bytes(v.raw);
  }
}

}  // namespace bh::mapi::rop
