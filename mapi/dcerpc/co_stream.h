#pragma once

// One direction of a connection-oriented DCE/RPC association (ncacn_ip_tcp), as one engine:
//
//   bytes -> framing (C706 12.6.3.1: the common header, checked before a body byte is kept)
//         -> decoding (C706 12.6.4, MS-RPCE 2.2.2; either NDR byte order, from packed_drep)
//         -> the security provider's per-PDU stage (security_provider.h; the identity today)
//         -> reassembly of each call's fragments by call_id (C706 12.6.3.5)
//         -> whole PDUs (with their raw bytes) and whole calls, handed out one PDU at a time.
//
// Every accelerator and simulator that reads a DCE/RPC stream reads it through this class, so a
// sealing layer is written once. Pure: no sockets, no clock, never throws; every buffer is
// capped (StreamLimits) and a cap exceeded is an error, never an allocation.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "mapi/dcerpc/call.h"
#include "mapi/dcerpc/pdu.h"
#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/dcerpc/security_provider.h"

namespace bh::mapi::dcerpc {

/// Who sends the stream: a client's calls are requests, a server's are responses.
enum class Sender : uint8_t { Client, Server };

/// Per-stream caps. Each is proven by a unit test (tests/unit/mapi/dcerpc/co_stream_test.cc).
struct StreamLimits {
  /// Largest frag_length accepted, checked on the header before the body is buffered (16 bits
  /// on the wire; lowered further by setNegotiatedMaxFrag).
  size_t maxPduBytes = 65535;
  /// Largest call: the bytes of its fragments on the wire.
  size_t maxCallBytes = 8u << 20;
  /// Calls with some but not all fragments in (PFC_CONC_MPX lets a client interleave calls,
  /// MS-RPCE 3.3.1.5.1). A new call while this many are in progress is an error.
  size_t maxCallsInProgress = 16;
  /// Everything the stream holds at once: the partial PDU, PDUs framed and not yet taken, and
  /// the fragments (raw and stub) of every call in progress.
  size_t maxBufferedBytes = (17u << 20) + 65535;
  /// false: PDUs only, no call is joined (a reader that keeps only some calls joins those
  /// itself with addFragment, call.h, and caps them itself).
  bool reassemble = true;
};

/// Why a stream stopped (StreamError::None while it reads on).
enum class StreamError : uint8_t {
  None,
  Framing,               ///< a header does not frame (or frag_length above maxPduBytes)
  Decode,                ///< a framed PDU does not decode
  Security,              ///< the security provider refused a PDU
  DuplicateFirst,        ///< PFC_FIRST_FRAG for a call_id already in progress
  TooManyCalls,          ///< a new call while maxCallsInProgress are in progress
  FragmentWithoutFirst,  ///< a later fragment of no call in progress
  CallTooLarge,          ///< a call above maxCallBytes
  BufferFull,            ///< the stream would hold more than maxBufferedBytes
};

/// One PDU handed out by CoStream::next().
struct StreamPdu {
  Pdu pdu;    ///< decoded, after the security provider's stage
  Bytes raw;  ///< exactly as received
  /// The call this PDU's fragment completes (PFC_LAST_FRAG).
  std::optional<Call> call;
  /// A fragment of a call now in progress: its raw bytes are held in that call (and come out
  /// again in `call` when it completes, or from takeUnreadPdus()).
  bool inCall = false;
  /// Calls in progress that this PDU cut off: a PDU other than the sender's call fragments
  /// between a call's fragments (co_cancel C706 12.6.4.8, orphaned 12.6.4.11, a fault, a bind).
  /// The fragments received before it are handed out here, ahead of it; the calls' later
  /// fragments come out one by one with `unread` set and are not reassembled.
  std::vector<Call> abandoned;
  /// A later fragment of an abandoned call.
  bool unread = false;
};

class CoStream {
 public:
  /// @param sender whose stream this is: which PDU type carries its calls.
  /// @param security the per-PDU stage; nullptr is the identity. Must outlive the stream.
  explicit CoStream(Sender sender, StreamLimits limits = {}, SecurityProvider* security = nullptr);

  /// Frames `data`: whole PDUs queue up for next(), an incomplete one is kept. On an error (a
  /// header that does not frame, the aggregate cap) the bytes of `data` not framed are kept for
  /// takeUnframed(), so a hand-off loses nothing; PDUs framed before a framing error are still
  /// handed out by next().
  /// @return Done(data.size()), or Error (sticky: later data is not kept).
  ParseResult feed(ByteSpan data);

  /// Hands out the next whole PDU.
  /// @return Done (`out` filled), NeedMore (no whole PDU framed), or Error (sticky; the PDU
  /// that failed is not taken: it heads takeUnreadPdus()).
  ParseResult next(StreamPdu& out);

  /// Lowers the PDU cap to the fragment size negotiated in bind_ack (C706 12.6.3.6: a sender
  /// never exceeds the receiver's max_recv_frag); 0 removes it.
  void setNegotiatedMaxFrag(uint16_t maxFrag) { negotiatedMaxFrag_ = maxFrag; }

  /// For a hand-off: every whole PDU received and not yet handed out except inside a call in
  /// progress, in the order received (the fragments of calls in progress, then the framed PDUs
  /// not taken). The stream forgets them.
  std::vector<Bytes> takeUnreadPdus();
  /// For a hand-off: the incomplete PDU (or everything from a header that did not frame).
  Bytes takeUnframed();

  bool failed() const { return framingFailed_ || errorKind_ != StreamError::None; }
  StreamError errorKind() const { return errorKind_; }
  const std::string& error() const { return error_; }
  /// Everything held (what maxBufferedBytes caps).
  size_t bufferedBytes() const { return unframed_.size() + queuedBytes_ + callBytes_; }
  /// Bytes of PDUs framed and not yet taken by next().
  size_t queuedBytes() const { return queuedBytes_; }
  /// Bytes on the wire of the fragments of calls in progress.
  size_t callWireBytes() const { return callWireBytes_; }
  /// The PDU next() hands out (or failed on) next, exactly as received; empty when none is
  /// framed. For a log line about a PDU the stream refused.
  ByteSpan peekNext() const { return queue_.empty() ? ByteSpan() : ByteSpan(queue_.front()); }
  /// Bytes of an incomplete PDU held between feeds.
  size_t unframedBytes() const { return unframed_.size(); }
  size_t callsInProgress() const { return calls_.size(); }

 private:
  struct InProgress {
    Call call;
    std::vector<uint64_t> order;  ///< arrival number of each fragment, for takeUnreadPdus
  };
  FrameLimits frameLimits() const;
  ParseResult fail(StreamError kind, std::string why);
  /// Reassembly of one PDU; on error nothing has changed.
  ParseResult reassemble(StreamPdu& out, const Bytes& raw, uint64_t arrival);
  PType callType() const { return sender_ == Sender::Client ? PType::Request : PType::Response; }

  Sender sender_;
  StreamLimits limits_;
  SecurityProvider& security_;
  uint16_t negotiatedMaxFrag_ = 0;
  Bytes unframed_;
  std::deque<Bytes> queue_;
  size_t queuedBytes_ = 0;
  std::map<uint32_t, InProgress> calls_;
  size_t callBytes_ = 0;      ///< raw and stub bytes of calls_
  size_t callWireBytes_ = 0;  ///< raw bytes of calls_
  /// Calls cut off by another PDU whose later fragments may still come.
  std::set<uint32_t> abandoned_;
  uint64_t arrivals_ = 0;  ///< PDUs taken so far
  bool framingFailed_ = false;
  std::string framingError_;
  StreamError errorKind_ = StreamError::None;
  std::string error_;
};

}  // namespace bh::mapi::dcerpc
