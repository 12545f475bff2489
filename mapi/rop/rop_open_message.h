#pragma once

// RopOpenMessage (0x03, MS-OXCROPS 2.2.6.1). The response carries the subject pieces as
// TypedStrings (MS-OXCROPS 2.2.6.1.2: StringType 0 none, 1 empty, 2 8-bit, 3 reduced Unicode,
// 4 Unicode) and the recipients as OpenRecipientRows, each sized by RecipientRowSize.

#include <vector>

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopOpenMessageRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopOpenMessage;
  uint8_t outputHandleIndex = 0;
  uint16_t codePageId = 0;
  uint64_t folderId = 0;
  uint8_t openModeFlags = 0;
  uint64_t messageId = 0;
  bool operator==(const RopOpenMessageRequest&) const = default;
};

/// A TypedString: StringType then (types 2-4) the null-terminated string, kept raw.
struct TypedString {
  uint8_t stringType = 0;
  Bytes raw;  ///< including the terminator
  bool operator==(const TypedString&) const = default;
};

struct OpenRecipientRow {
  uint8_t recipientType = 0;
  uint16_t codePageId = 0;
  uint16_t reserved = 0;
  Bytes recipientRow;  ///< RecipientRowSize bytes (MS-OXCDATA 2.8.3.1), kept opaque
  bool operator==(const OpenRecipientRow&) const = default;
};

struct RopOpenMessageResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopOpenMessage;
  uint8_t hasNamedProperties = 0;
  TypedString subjectPrefix;
  TypedString normalizedSubject;
  uint16_t recipientCount = 0;
  std::vector<uint32_t> recipientColumns;       ///< ColumnCount then the tags
  std::vector<OpenRecipientRow> recipientRows;  ///< RowCount (u8) rows
  bool operator==(const RopOpenMessageResponse&) const = default;
};

bool readTypedString(ByteReader& r, TypedString& s);
void writeTypedString(ByteWriter& w, const TypedString& s);

bool decode(ByteReader& r, RopOpenMessageRequest& x);
void encode(ByteWriter& w, const RopOpenMessageRequest& x);
bool decode(ByteReader& r, RopOpenMessageResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopOpenMessageResponse& x);

}  // namespace bh::mapi::rop
