#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "mapi/dcerpc/pdu.h"
#include "mapi/dcerpc/pdu_codec.h"

namespace bh::mapi::dcerpc {

/// Per-direction caps of the stream decoder. Each is proven by a unit test.
struct DecoderLimits {
  /// Largest frag_length accepted before anything is negotiated (the buffer never holds more
  /// than one PDU, so this also caps the per-flow buffer).
  size_t maxFragLength = 65535;
  /// Largest stub of one call once its fragments are joined.
  size_t maxCallStubBytes = 8u << 20;
  /// Calls whose fragments are being joined at the same time (PFC_CONC_MPX lets a client
  /// interleave calls on one connection, MS-RPCE 3.3.1.5.1).
  size_t maxPendingCalls = 16;
};

/// A request or response whose fragments (FIRST_FRAG .. LAST_FRAG, C706 12.6.3.5 "fragmented
/// PDUs") are all in: the stub bytes of every fragment joined, padding excluded.
struct Call {
  PType ptype = PType::Request;
  uint32_t callId = 0;
  uint16_t contextId = 0;
  uint16_t opnum = 0;              ///< requests only
  std::optional<Uuid> object;      ///< requests with PFC_OBJECT_UUID
  uint32_t allocHint = 0;          ///< of the first fragment
  Endian endian = Endian::Little;  ///< NDR byte order of the stub
  std::optional<SecTrailer> auth;  ///< of the first fragment; sealed stubs stay sealed
  uint32_t fragments = 0;
  Bytes stub;
};

/// Sink of the stream decoder (Envoy DecoderCallbacks style; tests use a recording fake).
class PduDecoderCallbacks {
 public:
  virtual ~PduDecoderCallbacks() = default;
  /// Every PDU as it completes, with its raw bytes exactly as received (an accelerator that is
  /// not optimizing forwards `raw` untouched). Called before onCall for the last fragment.
  virtual void onPdu(const Pdu& pdu, ByteSpan raw) = 0;
  /// A whole request or response, after its last fragment.
  virtual void onCall(Call&& call) = 0;
};

/// Incremental decoder for one direction of a connection-oriented association: feed any chunks;
/// it frames on frag_length (validating the header before buffering), decodes each PDU, and
/// joins request/response fragments per call_id. Errors are sticky: once onData fails, the flow
/// should be passed through unparsed.
class PduDecoder {
 public:
  PduDecoder(PduDecoderCallbacks& callbacks, DecoderLimits limits = {});

  /// Consumes all of `data` (whole PDUs are delivered, a partial tail is buffered).
  /// @return Done(data.size()), or Error with the reason (then and on every later call).
  ParseResult onData(ByteSpan data);

  /// Lowers the fragment cap to the size negotiated in bind_ack (C706 12.6.3.6: a sender never
  /// exceeds the receiver's max_recv_frag); 0 removes it.
  void setNegotiatedMaxFrag(uint16_t maxFrag) { negotiatedMaxFrag_ = maxFrag; }

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  /// Bytes of an incomplete PDU held between onData calls.
  size_t bufferedBytes() const { return buffer_.size(); }
  /// Calls with some but not all fragments seen.
  size_t pendingCalls() const { return pending_.size(); }

 private:
  /// Handles one whole PDU at the start of `frame` (already framed to frag_length).
  bool onFrame(ByteSpan frame);
  bool onFragment(const Pdu& pdu);
  FrameLimits frameLimits() const;
  bool fail(std::string why);

  PduDecoderCallbacks& callbacks_;
  DecoderLimits limits_;
  uint16_t negotiatedMaxFrag_ = 0;
  Bytes buffer_;
  std::map<uint32_t, Call> pending_;
  std::string error_;
};

}  // namespace bh::mapi::dcerpc
