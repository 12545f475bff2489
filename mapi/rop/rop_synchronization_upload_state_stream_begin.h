#pragma once

// RopSynchronizationUploadStateStreamBegin (0x75, MS-OXCROPS 2.2.13.9): starts the upload of one
// ICS state property into a synchronization context (MS-OXCFXICS 2.2.3.2.2.1). StateProperty is
// a PropertyTag (MS-OXCDATA 2.9); MS-OXCFXICS 2.2.3.2.2.1.1 restricts it to the four ICS state
// properties, which is the server's to enforce, not the codec's. The response is the header
// alone, error or not.

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopSynchronizationUploadStateStreamBeginRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopSynchronizationUploadStateStreamBegin;
  uint32_t stateProperty = 0;
  uint32_t transferBufferSize = 0;  ///< size of the stream the Continue ROPs will upload
  bool operator==(const RopSynchronizationUploadStateStreamBeginRequest&) const = default;
};

struct RopSynchronizationUploadStateStreamBeginResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopSynchronizationUploadStateStreamBegin;
  bool operator==(const RopSynchronizationUploadStateStreamBeginResponse&) const = default;
};

bool decode(ByteReader& r, RopSynchronizationUploadStateStreamBeginRequest& x);
void encode(ByteWriter& w, const RopSynchronizationUploadStateStreamBeginRequest& x);
bool decode(ByteReader& r, RopSynchronizationUploadStateStreamBeginResponse& x,
            const ResponseContext& ctx);
void encode(ByteWriter& w, const RopSynchronizationUploadStateStreamBeginResponse& x);

}  // namespace bh::mapi::rop
