#pragma once

#include <optional>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "mapi/dcerpc/pdu.h"

namespace bh::mapi::dcerpc {

/// Limits applied while framing, before a single body byte is buffered.
struct FrameLimits {
  /// Largest frag_length accepted. frag_length is 16 bits, so 65535 means "no extra cap"; the
  /// stream decoder lowers it further to the negotiated fragment size once bind_ack is seen.
  size_t maxFragLength = 65535;
};

/// Fewest body bytes (after the 16-byte header, before any auth padding) a PDU of this type and
/// flags must carry (C706 12.6.4): request 8 (+16 with PFC_OBJECT_UUID), response 8, fault 16,
/// bind/alter_context 12, bind_ack/alter_context_resp 16, bind_nak 2, others 0.
size_t minBodySize(PType ptype, uint8_t pfcFlags);

/// Reads and validates the common header at the start of `data` (rpc_vers 5, minor 0/1, a CO
/// PTYPE, frag_length large enough for the type's fixed part and the auth trailer, and within
/// `limits`). Framing comes first: no body byte is needed.
/// @return Done (consumed = frag_length, the size of the whole PDU), NeedMore(16) when fewer than
/// 16 bytes are present, or Error.
ParseResult frameHeader(ByteSpan data, const FrameLimits& limits, Header& out);

/// Frames and decodes one PDU at the start of `data` (C706 12.6; sec_trailer MS-RPCE 2.2.2.11).
/// @return Done (consumed = frag_length), NeedMore(bytes needed in total) or Error. Never throws.
ParseResult decodePdu(ByteSpan data, Pdu& out, const FrameLimits& limits = {});

/// Encodes `pdu` in the byte order of its drep, computing frag_length, auth_length,
/// auth_pad_length (from auth->pad) and PFC_OBJECT_UUID (from Request::object); other header
/// fields are written as given.
/// @return the PDU bytes, or nullopt if it does not fit (frag_length > 65535, more than 255
/// contexts, results or transfer syntaxes, auth padding over 255 bytes).
std::optional<Bytes> encodePdu(const Pdu& pdu);

/// Header fields of a framed PDU read in place (byte order from its drep, C706 12.6.3.1 /
/// 14.1); 0 when it is shorter than a header. For PDUs the stream engine framed already.
uint32_t callIdOf(ByteSpan pdu);
PType ptypeOf(ByteSpan pdu);
uint8_t pfcFlagsOf(ByteSpan pdu);
/// Rewrites call_id in place (an accelerator answering or replaying a call under another id).
void setCallId(Bytes& pdu, uint32_t callId);

/// Auth padding that 4-aligns the sec_trailer of a PDU whose body (header included) ends at
/// `bodyEnd` (C706 13.2.6.1; impacket and Windows pad this way).
inline size_t authPadFor(size_t bodyEnd) {
  return (4 - bodyEnd % 4) % 4;
}

}  // namespace bh::mapi::dcerpc
