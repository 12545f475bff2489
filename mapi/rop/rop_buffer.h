#pragma once

// ROP request and response buffers (MS-OXCROPS 2.2.1): RopSize (u16, counting itself and the
// RopsList), the RopsList, then the ServerObjectHandleTable (u32 per handle) up to the end of
// the buffer, whose size the caller knows from RPC_HEADER_EXT. A RopsList is not
// self-delimiting without every ROP's layout, so an unknown RopId ends decoding with
// Error + unsupportedRopId set; the accelerator then passes the flow through.

#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "mapi/rop/rop.h"

namespace bh::mapi::rop {

struct RopLimits {
  size_t maxRops = 128;     ///< ROPs in one RopsList
  size_t maxHandles = 256;  ///< ServerObjectHandleTable entries (handle indexes are one byte)
};

struct RopRequestBuffer {
  std::vector<RopRequest> rops;
  std::vector<uint32_t> serverObjectHandleTable;
  std::optional<uint8_t> unsupportedRopId;  ///< set when decoding stopped at an unknown RopId
  bool operator==(const RopRequestBuffer&) const = default;
};

struct RopResponseBuffer {
  std::vector<RopResponse> rops;
  std::vector<uint32_t> serverObjectHandleTable;
  std::optional<uint8_t> unsupportedRopId;
  bool operator==(const RopResponseBuffer&) const = default;
};

/// Decodes a whole request buffer. NeedMore(RopSize) when `in` ends inside the RopsList;
/// Error for a bad RopSize, a malformed or unsupported ROP, a handle table that is not a
/// whole number of u32s, or a cap exceeded.
ParseResult decodeRequestBuffer(ByteSpan in, RopRequestBuffer& out, const RopLimits& limits = {});
Bytes encodeRequestBuffer(const RopRequestBuffer& in);

ParseResult decodeResponseBuffer(ByteSpan in, RopResponseBuffer& out,
                                 const ResponseContext& ctx = {}, const RopLimits& limits = {});
Bytes encodeResponseBuffer(const RopResponseBuffer& in);

/// The response context a request buffer implies: RopGetPropertiesSpecific tags and
/// RopSetColumns columns by InputHandleIndex (later ROPs win). Columns set in earlier calls are
/// the caller's to merge in.
ResponseContext responseContextFor(const RopRequestBuffer& request);

}  // namespace bh::mapi::rop
