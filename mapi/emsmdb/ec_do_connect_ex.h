#pragma once

// EcDoConnectEx (EMSMDB opnum 10, MS-OXCRPC 3.1.4.1): the NDR stubs of the request ([in]
// parameters in IDL order) and of the response ([out] parameters then the long return value).

#include <array>
#include <cstdint>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "mapi/emsmdb/context_handle.h"

namespace bh::mapi::emsmdb {

constexpr uint16_t kOpnumEcDoConnectEx = 10;

struct EcDoConnectExRequest {
  ndr::AnsiString szUserDN;
  uint32_t ulFlags = 0;
  uint32_t ulConMod = 0;  ///< connection modulus hash (older documents: ulConId)
  uint32_t cbLimit = 0;
  uint32_t ulCpid = 0;
  uint32_t ulLcidString = 0;
  uint32_t ulLcidSort = 0;
  uint32_t ulIcxrLink = 0;
  uint16_t usFCanConvertCodePages = 0;
  std::array<uint16_t, 3> rgwClientVersion{};
  uint32_t pulTimeStamp = 0;
  Bytes rgbAuxIn;  ///< cbAuxIn is its size on the wire
  uint32_t pcbAuxOut = 0;
  bool operator==(const EcDoConnectExRequest&) const = default;
};

struct EcDoConnectExResponse {
  ContextHandle pcxh;
  uint32_t pcmsPollsMax = 0;
  uint32_t pcRetry = 0;
  uint32_t pcmsRetryDelay = 0;
  uint16_t picxr = 0;
  /// [out, string] char**: a unique pointer, so either may be absent (referent id 0).
  bool hasDNPrefix = true;
  ndr::AnsiString szDNPrefix;
  uint32_t dnPrefixReferent = 0x00020000;
  bool hasDisplayName = true;
  ndr::AnsiString szDisplayName;
  uint32_t displayNameReferent = 0x00020004;
  std::array<uint16_t, 3> rgwServerVersion{};
  std::array<uint16_t, 3> rgwBestVersion{};
  uint32_t pulTimeStamp = 0;
  ndr::VaryingHeader auxOutHeader;  ///< MaxCount is the client's *pcbAuxOut
  Bytes rgbAuxOut;
  uint32_t pcbAuxOut = 0;
  uint32_t returnValue = 0;
  bool operator==(const EcDoConnectExResponse&) const = default;
};

/// Decodes a whole request stub. Done(consumed) / NeedMore (the stub is cut short) / Error.
ParseResult decodeEcDoConnectExRequest(ByteSpan stub, EcDoConnectExRequest& out,
                                       const StubLimits& limits = {});
Bytes encodeEcDoConnectExRequest(const EcDoConnectExRequest& in);

ParseResult decodeEcDoConnectExResponse(ByteSpan stub, EcDoConnectExResponse& out,
                                        const StubLimits& limits = {});
Bytes encodeEcDoConnectExResponse(const EcDoConnectExResponse& in);

}  // namespace bh::mapi::emsmdb
