#pragma once

// Cuts one direction of a DCE/RPC connection into whole PDUs without changing a byte: the MAPI
// AO relays PDUs, never parts of them, so that a locally answered call can be put between two
// PDUs of the server's stream and a call id can be rewritten in place. Framing checks the
// common header first (C706 12.6.3.1) and caps the PDU at frag_length's 16 bits.

#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "mapi/dcerpc/pdu.h"

namespace bh::mapi::mapi_ao {

class PduFramer {
public:
  /// Appends `data`; moves every whole PDU out, in order, to `pdus`. Error (sticky) when a
  /// header is not a CO PDU header; the unframed bytes stay available through takeBuffered().
  ParseResult feed(ByteSpan data, std::vector<Bytes>& pdus);
  /// The bytes of an incomplete PDU (or everything after a framing error), for a hand-off.
  Bytes takeBuffered();
  size_t bufferedBytes() const { return buffer_.size(); }
  bool failed() const { return failed_; }

private:
  Bytes buffer_;
  bool failed_ = false;
};

/// call_id of a framed PDU (byte order from its drep, C706 12.6.3.1 / 14.1).
uint32_t pduCallId(ByteSpan pdu);
/// Rewrites call_id in place.
void setPduCallId(Bytes& pdu, uint32_t callId);
dcerpc::PType pduType(ByteSpan pdu);
uint8_t pduFlags(ByteSpan pdu);

} // namespace bh::mapi::mapi_ao

namespace bh::mapi::mapi_ao {
/// Joins the stubs of one call's request or response fragments (in order). False when a
/// fragment does not decode or is not a request/response.
bool joinStubs(const std::vector<Bytes>& fragments, Bytes& stub);
} // namespace bh::mapi::mapi_ao
