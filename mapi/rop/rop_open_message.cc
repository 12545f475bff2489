#include "mapi/rop/rop_open_message.h"

namespace bh::mapi::rop {

bool readTypedString(ByteReader& r, TypedString& s) {
  s.stringType = r.u8();
  s.raw.clear();
  if (!r.ok()) {
    return false;
  }
  switch (s.stringType) {
    case 0x00:  // no string
    case 0x01:  // empty string
      return true;
    case 0x02:  // 8-bit
    case 0x03:  // reduced Unicode: Unicode with the high bytes dropped
      while (true) {
        uint8_t c = r.u8();
        if (!r.ok()) {
          return false;
        }
        s.raw.push_back(c);
        if (c == 0) {
          return true;
        }
      }
    case 0x04:  // Unicode
      while (true) {
        uint16_t c = r.u16();
        if (!r.ok()) {
          return false;
        }
        s.raw.push_back(static_cast<uint8_t>(c));
        s.raw.push_back(static_cast<uint8_t>(c >> 8));
        if (c == 0) {
          return true;
        }
      }
    default:
      r.fail();
      return false;
  }
}

void writeTypedString(ByteWriter& w, const TypedString& s) {
  w.u8(s.stringType);
  w.bytes(s.raw);
}

bool decode(ByteReader& r, RopOpenMessageRequest& x) {
  readRequestHeader(r, x);
  x.outputHandleIndex = r.u8();
  x.codePageId = r.u16();
  x.folderId = r.u64();
  x.openModeFlags = r.u8();
  x.messageId = r.u64();
  return r.ok();
}

void encode(ByteWriter& w, const RopOpenMessageRequest& x) {
  writeRequestHeader(w, x);
  w.u8(x.outputHandleIndex);
  w.u16(x.codePageId);
  w.u64(x.folderId);
  w.u8(x.openModeFlags);
  w.u64(x.messageId);
}

bool decode(ByteReader& r, RopOpenMessageResponse& x, const ResponseContext&) {
  readResponseHeader(r, x);
  if (!r.ok() || x.returnValue != kSuccess) {
    return r.ok();
  }
  x.hasNamedProperties = r.u8();
  if (!readTypedString(r, x.subjectPrefix) || !readTypedString(r, x.normalizedSubject)) {
    return false;
  }
  x.recipientCount = r.u16();
  if (!readPropertyTags(r, x.recipientColumns)) {
    return false;
  }
  uint8_t rows = r.u8();
  if (!r.ok() || size_t{rows} * 7 > r.remaining()) {
    r.fail();
    return false;
  }
  x.recipientRows.resize(rows);
  for (auto& row : x.recipientRows) {
    row.recipientType = r.u8();
    row.codePageId = r.u16();
    row.reserved = r.u16();
    uint16_t size = r.u16();
    ByteSpan b = r.take(size);
    if (!r.ok()) {
      return false;
    }
    row.recipientRow.assign(b.begin(), b.end());
  }
  return true;
}

void encode(ByteWriter& w, const RopOpenMessageResponse& x) {
  writeResponseHeader(w, x);
  if (x.returnValue != kSuccess) {
    return;
  }
  w.u8(x.hasNamedProperties);
  writeTypedString(w, x.subjectPrefix);
  writeTypedString(w, x.normalizedSubject);
  w.u16(x.recipientCount);
  writePropertyTags(w, x.recipientColumns);
  w.u8(static_cast<uint8_t>(x.recipientRows.size()));
  for (const auto& row : x.recipientRows) {
    w.u8(row.recipientType);
    w.u16(row.codePageId);
    w.u16(row.reserved);
    w.u16(static_cast<uint16_t>(row.recipientRow.size()));
    w.bytes(row.recipientRow);
  }
}

}  // namespace bh::mapi::rop
