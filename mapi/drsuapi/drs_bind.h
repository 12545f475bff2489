#pragma once

// IDL_DRSBind (opnum 0, MS-DRSR 4.1.3) and IDL_DRSUnbind (opnum 1, 4.1.25): the NDR stubs of the
// requests ([in] parameters in IDL order) and of the replies ([out] parameters, then the ULONG
// return value).
//
//   ULONG IDL_DRSBind([in, unique] UUID* puuidClientDsa,
//                     [in, unique] DRS_EXTENSIONS* pextClient,
//                     [out] DRS_EXTENSIONS** ppextServer, [out, ref] DRS_HANDLE* phDrs);
//   ULONG IDL_DRSUnbind([in, out, ref] DRS_HANDLE* phDrs);

#include <cstdint>
#include <optional>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "mapi/dcerpc/ndr.h"
#include "mapi/dcerpc/uuid.h"
#include "mapi/drsuapi/caps.h"
#include "mapi/drsuapi/drs_extensions.h"

namespace bh::mapi::drsuapi {

/// DRS_HANDLE (5.40): the context handle DRSBind hands out.
using DrsHandle = dcerpc::ndr::ContextHandle;

struct DrsBindRequest {
  std::optional<dcerpc::Uuid> puuidClientDsa;  ///< NTDSAPI_CLIENT_GUID for a non-DC client
  std::optional<DrsExtensions> pextClient;
  bool operator==(const DrsBindRequest&) const = default;
};

struct DrsBindReply {
  std::optional<DrsExtensions> ppextServer;
  DrsHandle phDrs;
  uint32_t returnValue = 0;  ///< Win32 error code; 0 on success
  bool operator==(const DrsBindReply&) const = default;
};

struct DrsUnbindRequest {
  DrsHandle phDrs;
  bool operator==(const DrsUnbindRequest&) const = default;
};

struct DrsUnbindReply {
  DrsHandle phDrs;  ///< zeroed by the server
  uint32_t returnValue = 0;
  bool operator==(const DrsUnbindReply&) const = default;
};

/// Each decoder reads one whole stub: Done(consumed) or Error (malformed, over a cap, or cut
/// short; the message says which). Never throws, never reads past the span.
ParseResult decodeDrsBindRequest(ByteSpan stub, DrsBindRequest& out, const Caps& caps = {});
Bytes encodeDrsBindRequest(const DrsBindRequest& in);
ParseResult decodeDrsBindReply(ByteSpan stub, DrsBindReply& out, const Caps& caps = {});
Bytes encodeDrsBindReply(const DrsBindReply& in);

ParseResult decodeDrsUnbindRequest(ByteSpan stub, DrsUnbindRequest& out, const Caps& caps = {});
Bytes encodeDrsUnbindRequest(const DrsUnbindRequest& in);
ParseResult decodeDrsUnbindReply(ByteSpan stub, DrsUnbindReply& out, const Caps& caps = {});
Bytes encodeDrsUnbindReply(const DrsUnbindReply& in);

}  // namespace bh::mapi::drsuapi
