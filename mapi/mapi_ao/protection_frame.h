#pragma once

// The MAPI AO's peer stream as its protection layer frames it (issue 18, eMAPI). Each direction
// between the edge's and the core's ProtectedMapiFilter is a sequence of frames:
//
//   0        1                                  5
//   +--------+----------------------------------+----------------
//   |  type  |      length of the body (BE)     |  body ...
//   +--------+----------------------------------+----------------
//
// Inner frames carry the halves' own record stream (ao_record.h) and are passed on as they
// arrive, never buffered whole; the others are small and capped. The halves' records see plain
// PDUs only: what protects them on the LAN legs is this layer's business.

#include <cstdint>
#include <string>

#include "common/bytes.h"
#include "common/parse_result.h"

namespace bh::mapi::mapi_ao {

enum class ProtectionFrameType : uint8_t {
  /// Bytes of the halves' record stream.
  Inner = 1,
  /// core->edge: the opened association (ProtectedAssociation::exportContext). Secret: sent only
  /// over a secured peer leg.
  Context = 2,
  /// core->edge: the client's protected bind could not be opened; the body says why (text).
  Unopened = 3,
  /// Either way: a protected PDU that could not be opened, relayed exactly as received; the body
  /// is the number its sender's next PDU was due to carry (8 bytes, BE) and the PDU.
  Verbatim = 4,
  /// edge->core: the client's next PDU is a protected Kerberos bind this edge can follow: open
  /// it. Without it the core leaves a protected bind alone (the edge hands it off itself).
  OpenRequest = 5,
};

constexpr size_t kProtectionFrameHeader = 5;
/// Caps of the frames that are buffered whole (Inner frames are streamed).
constexpr size_t kMaxContextFrame = 4096;
constexpr size_t kMaxUnopenedFrame = 1024;
constexpr size_t kMaxVerbatimFrame = 8 + 65535;

/// Appends one frame.
void encodeProtectionFrame(ProtectionFrameType type, ByteSpan body, Bytes& out);
/// Appends the header of an Inner frame of `length` bytes (the body follows).
void encodeInnerHeader(size_t length, Bytes& out);

/// Incremental reader of one direction's frames: Inner bytes come out as they arrive, the other
/// frames whole.
class ProtectionFrameReader {
 public:
  struct Item {
    ProtectionFrameType type = ProtectionFrameType::Inner;
    /// Inner: a piece of the body (a span into the data fed); others: the whole body.
    ByteSpan body;
  };
  /// Reads the next item from `data` starting at `pos` (advanced past what was used).
  /// @return Done (an item), NeedMore (all of `data` used, nothing whole yet), or Error (unknown
  ///         type, a body over its cap; sticky).
  ParseResult next(ByteSpan data, size_t& pos, Item& out);
  size_t bufferedBytes() const { return header_.size() + body_.size(); }

 private:
  Bytes header_;
  ProtectionFrameType type_ = ProtectionFrameType::Inner;
  size_t remaining_ = 0;  ///< body bytes still to come of the current frame
  bool inFrame_ = false;
  Bytes body_;  ///< a buffered (non-Inner) body
  bool failed_ = false;
};

/// Verbatim bodies.
Bytes encodeVerbatim(uint64_t due, ByteSpan pdu);
bool decodeVerbatim(ByteSpan body, uint64_t& due, ByteSpan& pdu);

}  // namespace bh::mapi::mapi_ao
