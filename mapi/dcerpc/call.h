#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "mapi/dcerpc/pdu.h"

namespace bh::mapi::dcerpc {

/// A request or response whose fragments (PFC_FIRST_FRAG .. PFC_LAST_FRAG, C706 12.6.3.5
/// "fragmented PDUs") are all in: their raw bytes as received, in order, and their stubs joined
/// (auth padding excluded).
struct Call {
  PType ptype = PType::Request;
  uint32_t callId = 0;
  uint16_t contextId = 0;
  uint16_t opnum = 0;              ///< requests only
  std::optional<Uuid> object;      ///< requests with PFC_OBJECT_UUID
  uint32_t allocHint = 0;          ///< of the first fragment
  Endian endian = Endian::Little;  ///< NDR byte order of the stub
  std::optional<SecTrailer> auth;  ///< of the first fragment; sealed stubs stay sealed
  /// Every fragment exactly as received (an accelerator that does not answer the call relays
  /// these untouched).
  std::vector<Bytes> fragments;
  Bytes stub;

  /// Bytes of the call on the wire (its fragments).
  size_t wireBytes() const {
    size_t n = 0;
    for (const Bytes& f : fragments) {
      n += f.size();
    }
    return n;
  }
};

}  // namespace bh::mapi::dcerpc
