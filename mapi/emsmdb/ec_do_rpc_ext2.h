#pragma once

// EcDoRpcExt2 (EMSMDB opnum 11, MS-OXCRPC 3.1.4.2): the stubs that carry the ROP buffers.
// rgbIn / rgbOut are extended buffers (RPC_HEADER_EXT + payload pieces, see rpc_header_ext.h);
// this codec keeps them as bytes.

#include <cstdint>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "mapi/emsmdb/context_handle.h"

namespace bh::mapi::emsmdb {

constexpr uint16_t kOpnumEcDoRpcExt2 = 11;

/// pulFlags bits (MS-OXCRPC 3.1.4.2): what the client lets the server do to rgbOut.
constexpr uint32_t kRpcExt2NoCompression = 0x00000001;
constexpr uint32_t kRpcExt2NoXorMagic = 0x00000002;
constexpr uint32_t kRpcExt2Chain = 0x00000004;

struct EcDoRpcExt2Request {
  ContextHandle pcxh;
  uint32_t pulFlags = 0;
  Bytes rgbIn;          ///< cbIn is its size on the wire
  uint32_t pcbOut = 0;  ///< the largest rgbOut the client accepts
  Bytes rgbAuxIn;       ///< cbAuxIn is its size
  uint32_t pcbAuxOut = 0;
  bool operator==(const EcDoRpcExt2Request&) const = default;
};

struct EcDoRpcExt2Response {
  ContextHandle pcxh;
  uint32_t pulFlags = 0;
  ndr::VaryingHeader outHeader;  ///< MaxCount is the client's *pcbOut
  Bytes rgbOut;
  ndr::VaryingHeader auxOutHeader;
  Bytes rgbAuxOut;
  uint32_t pulTransTime = 0;
  uint32_t returnValue = 0;
  bool operator==(const EcDoRpcExt2Response&) const = default;
};

ParseResult decodeEcDoRpcExt2Request(ByteSpan stub, EcDoRpcExt2Request& out,
                                     const StubLimits& limits = {});
Bytes encodeEcDoRpcExt2Request(const EcDoRpcExt2Request& in);

ParseResult decodeEcDoRpcExt2Response(ByteSpan stub, EcDoRpcExt2Response& out,
                                      const StubLimits& limits = {});
Bytes encodeEcDoRpcExt2Response(const EcDoRpcExt2Response& in);

/// Canonical response headers for an encoder: MaxCount = the request's pcbOut / pcbAuxOut.
EcDoRpcExt2Response makeEcDoRpcExt2Response(const EcDoRpcExt2Request& request, Bytes rgbOut,
                                            Bytes rgbAuxOut = {});

}  // namespace bh::mapi::emsmdb
