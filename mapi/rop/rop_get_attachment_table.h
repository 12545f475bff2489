#pragma once

// RopGetAttachmentTable (0x21, MS-OXCROPS 2.2.6.17): opens the attachment table of a message.
// On ReturnValue != 0 the response is the header alone (MS-OXCROPS 2.2.1).

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopGetAttachmentTableRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopGetAttachmentTable;
  uint8_t outputHandleIndex = 0;
  uint8_t tableFlags = 0;
  bool operator==(const RopGetAttachmentTableRequest&) const = default;
};

struct RopGetAttachmentTableResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopGetAttachmentTable;
  bool operator==(const RopGetAttachmentTableResponse&) const = default;
};

bool decode(ByteReader& r, RopGetAttachmentTableRequest& x);
void encode(ByteWriter& w, const RopGetAttachmentTableRequest& x);
bool decode(ByteReader& r, RopGetAttachmentTableResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopGetAttachmentTableResponse& x);

}  // namespace bh::mapi::rop
