#pragma once

// RopSynchronizationUploadStateStreamContinue (0x76, MS-OXCROPS 2.2.13.10): StreamDataSize (u32)
// bytes of the ICS state property being uploaded (MS-OXCFXICS 2.2.3.2.2.2); the server
// concatenates them (MS-OXCFXICS 3.2.5.9.2.2). StreamDataSize is bounded by what is left of the
// RopsList: a size beyond it is a malformed buffer, found before anything is copied. The
// response is the header alone, error or not.

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopSynchronizationUploadStateStreamContinueRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopSynchronizationUploadStateStreamContinue;
  Bytes streamData;
  bool operator==(const RopSynchronizationUploadStateStreamContinueRequest&) const = default;
};

struct RopSynchronizationUploadStateStreamContinueResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopSynchronizationUploadStateStreamContinue;
  bool operator==(const RopSynchronizationUploadStateStreamContinueResponse&) const = default;
};

bool decode(ByteReader& r, RopSynchronizationUploadStateStreamContinueRequest& x);
void encode(ByteWriter& w, const RopSynchronizationUploadStateStreamContinueRequest& x);
bool decode(ByteReader& r, RopSynchronizationUploadStateStreamContinueResponse& x,
            const ResponseContext& ctx);
void encode(ByteWriter& w, const RopSynchronizationUploadStateStreamContinueResponse& x);

}  // namespace bh::mapi::rop
