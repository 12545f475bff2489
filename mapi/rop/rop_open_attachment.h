#pragma once

// RopOpenAttachment (0x22, MS-OXCROPS 2.2.6.12): opens attachment AttachmentID of the message at
// InputHandleIndex.
// On ReturnValue != 0 the response is the header alone (MS-OXCROPS 2.2.1).

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopOpenAttachmentRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopOpenAttachment;
  uint8_t outputHandleIndex = 0;
  uint8_t openAttachmentFlags = 0;
  uint32_t attachmentId = 0;
  bool operator==(const RopOpenAttachmentRequest&) const = default;
};

struct RopOpenAttachmentResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopOpenAttachment;
  bool operator==(const RopOpenAttachmentResponse&) const = default;
};

bool decode(ByteReader& r, RopOpenAttachmentRequest& x);
void encode(ByteWriter& w, const RopOpenAttachmentRequest& x);
bool decode(ByteReader& r, RopOpenAttachmentResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopOpenAttachmentResponse& x);

}  // namespace bh::mapi::rop
