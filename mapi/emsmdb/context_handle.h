#pragma once

// The EMSMDB session context handle CXH (MS-OXCRPC 2.2.1.1): an RPC context handle, which NDR
// carries as 20 opaque bytes (C706 / MS-RPCE 2.2.5.3.4.1: u32 attributes + 16-byte UUID).

#include <cstdint>

#include "mapi/dcerpc/ndr.h"

namespace bh::mapi::emsmdb {

/// The stubs' NDR (mapi/dcerpc/ndr.h), under the name the EMSMDB code has always used.
namespace ndr = dcerpc::ndr;

/// A handle of all zeroes is the NULL handle: the server destroyed (or never made) the session.
using ContextHandle = ndr::ContextHandle;

/// Caps applied to every length the stubs carry (MS-OXCRPC 3.1.4.1 / 3.1.4.2 ranges).
struct StubLimits {
  uint32_t maxUserDn = 1024;        ///< szUserDN / szDNPrefix / szDisplayName characters
  uint32_t maxRopBuffer = 0x40000;  ///< rgbIn / rgbOut (BIG_RANGE_ULONG upper bound)
  uint32_t maxAuxBuffer = 0x1008;   ///< rgbAuxIn / rgbAuxOut (SMALL_RANGE_ULONG upper bound)
};

}  // namespace bh::mapi::emsmdb
