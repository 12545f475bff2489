#pragma once

// RopGetContentsTable (0x05, MS-OXCROPS 2.2.4.14): opens the contents (message) table of a folder;
// RowCount is the number of messages.
// On ReturnValue != 0 the response is the header alone (MS-OXCROPS 2.2.1).

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopGetContentsTableRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopGetContentsTable;
  uint8_t outputHandleIndex = 0;
  uint8_t tableFlags = 0;
  bool operator==(const RopGetContentsTableRequest&) const = default;
};

struct RopGetContentsTableResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopGetContentsTable;
  uint32_t rowCount = 0;
  bool operator==(const RopGetContentsTableResponse&) const = default;
};

bool decode(ByteReader& r, RopGetContentsTableRequest& x);
void encode(ByteWriter& w, const RopGetContentsTableRequest& x);
bool decode(ByteReader& r, RopGetContentsTableResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopGetContentsTableResponse& x);

}  // namespace bh::mapi::rop
