#pragma once

// Whether a presentation context of a connection is EMSMDB (MS-OXCRPC 1.9: a4f1db00-...,
// v0.81), the interface the MAPI AO optimizes; everything else on the connection is relayed.

#include <cstdint>

#include "mapi/dcerpc/association.h"
#include "mapi/dcerpc/well_known.h"

namespace bh::mapi::mapi_ao {

inline bool isEmsmdbContext(const dcerpc::Association& association, uint16_t contextId) {
  auto iface = association.interfaceFor(contextId);
  return iface && iface->uuid == dcerpc::syntax::emsmdb().uuid &&
         iface->versionMajor == dcerpc::syntax::emsmdb().versionMajor;
}

} // namespace bh::mapi::mapi_ao
