#pragma once

// EcDoDisconnect (EMSMDB opnum 1, MS-OXCRPC 3.1.4.3): [in, out, ref] CXH* pcxh; the response
// returns the (zeroed) handle and the long return value.

#include "common/bytes.h"
#include "common/parse_result.h"
#include "mapi/emsmdb/context_handle.h"

namespace bh::mapi::emsmdb {

constexpr uint16_t kOpnumEcDoDisconnect = 1;

struct EcDoDisconnectRequest {
  ContextHandle pcxh;
  bool operator==(const EcDoDisconnectRequest&) const = default;
};

struct EcDoDisconnectResponse {
  ContextHandle pcxh;
  uint32_t returnValue = 0;
  bool operator==(const EcDoDisconnectResponse&) const = default;
};

ParseResult decodeEcDoDisconnectRequest(ByteSpan stub, EcDoDisconnectRequest& out);
Bytes encodeEcDoDisconnectRequest(const EcDoDisconnectRequest& in);
ParseResult decodeEcDoDisconnectResponse(ByteSpan stub, EcDoDisconnectResponse& out);
Bytes encodeEcDoDisconnectResponse(const EcDoDisconnectResponse& in);

}  // namespace bh::mapi::emsmdb
