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

/// Adds one decoded request or response fragment and its raw bytes to `call` (the first one
/// also fills the call's fields from its header and body). The stream engine's reassembly, also
/// for a reader that collects only some calls of a stream it takes PDU by PDU.
/// @return false for a PDU that is not a request or response (a fault): its raw bytes are kept
/// in `fragments`, and the stub no longer is the call's whole answer.
bool addFragment(Call& call, const Pdu& pdu, const Bytes& raw);

}  // namespace bh::mapi::dcerpc
