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

/// AsyncEMSMDB (MS-OXCRPC 1.9: 5261574a-..., v0.1): the session's EcDoAsyncWaitEx long poll, on a
/// connection of the same association group. Relayed call for call, but part of the session:
/// it counts as an optimized MAPI connection and follows the group's hand-offs.
inline bool isAsyncEmsmdbContext(const dcerpc::Association& association, uint16_t contextId) {
  auto iface = association.interfaceFor(contextId);
  return iface && iface->uuid == dcerpc::syntax::asyncEmsmdb().uuid &&
         iface->versionMajor == dcerpc::syntax::asyncEmsmdb().versionMajor;
}

}  // namespace bh::mapi::mapi_ao
