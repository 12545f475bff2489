#pragma once

// The EMSMDB calls the simulators speak (MS-OXCRPC 3.1.4): EcDoConnectEx (opnum 10),
// EcDoRpcExt2 (opnum 11), EcDoDisconnect (opnum 1), as NDR 2.0 little-endian stubs, and the
// RPC_HEADER_EXT framing of rgbIn/rgbOut (MS-OXCRPC 2.2.2.1). The simulators keep their own
// small codec so that they stay an independent peer of mapi/emsmdb (the unit tests cross-check
// the two where both exist); only the LZ77 bit stream is mapi/emsmdb's.

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"

namespace bh::sim::oxcrpc {

inline constexpr uint16_t kOpEcDoDisconnect = 1;
inline constexpr uint16_t kOpEcDoConnectEx = 10;
inline constexpr uint16_t kOpEcDoRpcExt2 = 11;

/// CXH: an NDR context handle, 20 opaque bytes (MS-RPCE 2.2.5.3.4.1).
using Cxh = std::array<uint8_t, 20>;

struct ConnectExRequest {
  std::string userDn;
  uint32_t flags = 0;
  uint32_t conMod = 0;
  uint32_t cbLimit = 0;
  uint32_t cpid = 1252;
  uint32_t lcidString = 0x409;
  uint32_t lcidSort = 0x409;
  uint32_t icxrLink = 0xffffffff;
  uint16_t canConvertCodePages = 1;
  std::array<uint16_t, 3> clientVersion{};
  uint32_t timeStamp = 0;
  Bytes auxIn;
  uint32_t cbAuxOut = 0x1008;
};

struct ConnectExResponse {
  Cxh cxh{};
  uint32_t pollsMax = 60000;
  uint32_t retry = 6;
  uint32_t retryDelay = 10000;
  uint16_t icxr = 0;
  std::string dnPrefix;
  std::string displayName;
  std::array<uint16_t, 3> serverVersion{};
  std::array<uint16_t, 3> bestVersion{};
  uint32_t timeStamp = 0;
  uint32_t auxOutMax = 0;  ///< the client's pcbAuxOut (MaxCount of rgbAuxOut)
  Bytes auxOut;
  uint32_t returnValue = 0;
};

struct RpcExt2Request {
  Cxh cxh{};
  uint32_t flags = 0;  ///< pulFlags: 0x1 NoCompression, 0x2 NoXorMagic, 0x4 Chain
  Bytes in;            ///< rgbIn (RPC_HEADER_EXT + payload)
  uint32_t cbOut = 0x40000;
  Bytes auxIn;
  uint32_t cbAuxOut = 0x1008;
};

struct RpcExt2Response {
  Cxh cxh{};
  uint32_t flags = 0;
  uint32_t outMax = 0;  ///< MaxCount of rgbOut: the client's pcbOut
  Bytes out;
  uint32_t auxOutMax = 0;
  Bytes auxOut;
  uint32_t transTime = 0;
  uint32_t returnValue = 0;
};

Bytes encode(const ConnectExRequest& q);
bool decode(ByteSpan stub, ConnectExRequest& q);
Bytes encode(const ConnectExResponse& r);
bool decode(ByteSpan stub, ConnectExResponse& r);
Bytes encode(const RpcExt2Request& q);
bool decode(ByteSpan stub, RpcExt2Request& q);
Bytes encode(const RpcExt2Response& r);
bool decode(ByteSpan stub, RpcExt2Response& r);
/// EcDoDisconnect: request and response both start with the CXH; the response adds the long
/// return value.
Bytes encodeDisconnectRequest(const Cxh& cxh);
Bytes encodeDisconnectResponse(const Cxh& cxh, uint32_t returnValue);
bool decodeDisconnect(ByteSpan stub, Cxh& cxh, uint32_t* returnValue);

/// RPC_HEADER_EXT Flags (MS-OXCRPC 2.2.2.1).
inline constexpr uint16_t kExtCompressed = 0x0001;
inline constexpr uint16_t kExtXorMagic = 0x0002;
inline constexpr uint16_t kExtLast = 0x0004;

/// Wraps one payload (at most 65535 bytes) as a single Last piece: LZ77-compressed with
/// mapi/emsmdb's MS-OXCRPC 3.1.4.1.1.2 codec when asked and smaller, then XOR-obfuscated with
/// 0xA5 when asked.
Bytes wrapExtended(ByteSpan payload, bool xorMagic, bool compress = false);
/// Joins the payloads of every piece, reverting XorMagic, then Compressed. nullopt on
/// malformed input (bad header, sizes that break 2.2.2.1, a bad LZ77 stream, trailing bytes).
std::optional<Bytes> unwrapExtended(ByteSpan buffer);

}  // namespace bh::sim::oxcrpc
