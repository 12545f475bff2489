#pragma once

// RopSynchronizationUploadStateStreamEnd (0x77, MS-OXCROPS 2.2.13.11): ends the upload of the ICS
// state property a RopSynchronizationUploadStateStreamBegin started (MS-OXCFXICS 2.2.3.2.2.3).
// Request and response are the headers alone.

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopSynchronizationUploadStateStreamEndRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopSynchronizationUploadStateStreamEnd;
  bool operator==(const RopSynchronizationUploadStateStreamEndRequest&) const = default;
};

struct RopSynchronizationUploadStateStreamEndResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopSynchronizationUploadStateStreamEnd;
  bool operator==(const RopSynchronizationUploadStateStreamEndResponse&) const = default;
};

bool decode(ByteReader& r, RopSynchronizationUploadStateStreamEndRequest& x);
void encode(ByteWriter& w, const RopSynchronizationUploadStateStreamEndRequest& x);
bool decode(ByteReader& r, RopSynchronizationUploadStateStreamEndResponse& x,
            const ResponseContext& ctx);
void encode(ByteWriter& w, const RopSynchronizationUploadStateStreamEndResponse& x);

}  // namespace bh::mapi::rop
