#include "sim/rops.h"

namespace bh::sim::rops {

namespace {

void writeValue(ByteWriter& w, uint16_t type, const Value& v) {
  switch (type) {
    case kPtypInteger32:
    case kPtypErrorCode:
      w.u32(std::get<uint32_t>(v));
      break;
    case kPtypBoolean:
      w.u8(std::get<bool>(v) ? 1 : 0);
      break;
    case kPtypInteger64:
    case kPtypTime:
      w.u64(std::get<uint64_t>(v));
      break;
    case kPtypString8: {
      const auto& s = std::get<std::string>(v);
      w.bytes(ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
      w.u8(0);
      break;
    }
    case kPtypBinary: {
      const auto& b = std::get<Bytes>(v);
      w.u16(static_cast<uint16_t>(b.size()));
      w.bytes(b);
      break;
    }
    default:
      break;
  }
}

bool typeMatches(uint16_t type, const Value& v) {
  switch (type) {
    case kPtypInteger32:
    case kPtypErrorCode:
      return std::holds_alternative<uint32_t>(v);
    case kPtypBoolean:
      return std::holds_alternative<bool>(v);
    case kPtypInteger64:
    case kPtypTime:
      return std::holds_alternative<uint64_t>(v);
    case kPtypString8:
      return std::holds_alternative<std::string>(v);
    case kPtypBinary:
      return std::holds_alternative<Bytes>(v) && std::get<Bytes>(v).size() <= 0xffff;
    default:
      return false;
  }
}

bool readValue(ByteReader& r, uint16_t type, Value& v) {
  switch (type) {
    case kPtypInteger32:
    case kPtypErrorCode:
      v = r.u32();
      return r.ok();
    case kPtypBoolean:
      v = r.u8() != 0;
      return r.ok();
    case kPtypInteger64:
    case kPtypTime:
      v = r.u64();
      return r.ok();
    case kPtypString8: {
      std::string s;
      for (;;) {
        uint8_t c = r.u8();
        if (!r.ok()) {
          return false;
        }
        if (c == 0) {
          break;
        }
        s.push_back(static_cast<char>(c));
      }
      v = std::move(s);
      return true;
    }
    case kPtypBinary: {
      uint16_t n = r.u16();
      ByteSpan b = r.take(n);
      v = Bytes(b.begin(), b.end());
      return r.ok();
    }
    default:
      return false;
  }
}

}  // namespace

void writePropertyRow(ByteWriter& w, const std::vector<uint32_t>& columns,
                      const std::vector<Value>& values) {
  bool all = true;
  for (size_t i = 0; i < columns.size(); ++i) {
    all = all && i < values.size() && typeMatches(columns[i] & 0xffff, values[i]);
  }
  w.u8(all ? 0x00 : 0x01);
  for (size_t i = 0; i < columns.size(); ++i) {
    uint16_t type = columns[i] & 0xffff;
    bool ok = i < values.size() && typeMatches(type, values[i]);
    if (!all) {
      w.u8(ok ? 0x00 : 0x0a);  // FlaggedPropertyValue: 0x0A = PropertyValue is an error code
    }
    if (ok) {
      writeValue(w, type, values[i]);
    } else {
      w.u32(kNotFound);
    }
  }
}

bool readPropertyRow(ByteReader& r, const std::vector<uint32_t>& columns,
                     std::vector<Value>& values) {
  uint8_t flag = r.u8();
  if (!r.ok() || flag > 1) {
    return false;
  }
  values.assign(columns.size(), std::monostate{});
  for (size_t i = 0; i < columns.size(); ++i) {
    uint16_t type = columns[i] & 0xffff;
    if (flag == 1) {
      uint8_t f = r.u8();
      if (f == 0x0a) {
        (void)r.u32();
        continue;
      }
      if (f == 0x01) {
        continue;
      }
      if (f != 0x00) {
        return false;
      }
    }
    if (!readValue(r, type, values[i])) {
      return false;
    }
  }
  return r.ok();
}

bool writeTaggedPropertyValue(ByteWriter& w, const TaggedValue& v) {
  uint16_t type = v.tag & 0xffff;
  if (!typeMatches(type, v.value)) {
    return false;
  }
  w.u32(v.tag);
  writeValue(w, type, v.value);
  return true;
}

bool readTaggedPropertyValue(ByteReader& r, TaggedValue& v) {
  v.tag = r.u32();
  return r.ok() && readValue(r, v.tag & 0xffff, v.value);
}

}  // namespace bh::sim::rops
