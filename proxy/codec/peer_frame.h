#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/parse_result.h"

namespace bh::proxy::codec {

// Framing of the peer protocol that edge and core speak on the peered connection
// (docs/ARCHITECTURE.md "One MAPI flow", step 4). Every frame: an 8-byte header, big-endian, then
// `length` payload bytes.
//
//   0        1        2                 4                                  8
//   +--------+--------+-----------------+----------------------------------+
//   | magic  |  type  |      flags      |          length (payload)        |
//   +--------+--------+-----------------+----------------------------------+
//
// The first octet is magic and version in one: 0xB followed by protocol version 1. A frame
// with another first octet is not ours (or a desynchronised stream) and ends the flow.

constexpr uint8_t kPeerMagicVersion = 0xB1;
constexpr size_t kFrameHeaderLength = 8;

enum class FrameType : uint8_t {
  Hello = 1,     ///< edge -> core: who I am, what I want, the original 4-tuple (peer_hello.h)
  HelloAck = 2,  ///< core -> edge: negotiated and applied policy (peer_hello.h)
  Data = 3,      ///< application bytes; flags say how they are encoded (DataFlags)
  // 4 was AoMessage (an accelerator id and an opaque body for the peer AO): encoded and fuzzed
  // but never sent, and dropped on receipt. Removed (issue 15); a frame of type 4 is now an
  // unknown type, a protocol error that resets the flow. Do not reuse 4 for something else
  // while peers of the old version may still send it.
  HalfClose = 5,   ///< the sender's side finished sending (its client/server sent FIN); empty
  Reset = 6,       ///< abort the flow; payload is a 16-bit reason (peer_messages.h)
  Keepalive = 7,   ///< empty; keeps idle peered connections alive
  DreControl = 8,  ///< generic accelerator control; flags = DreControlKind, payload its body
};

/// Encoding of a Data payload; 0 is raw bytes. DRE output may itself be LZ-compressed.
/// What a DreControl frame carries (its flags field).
namespace DreControlKind {
constexpr uint16_t ResendRequest = 1;  ///< the receiver lacks chunks: send them again
constexpr uint16_t Repair = 2;         ///< the answer: the chunks as literals
constexpr uint16_t Epoch = 3;          ///< the sender of this frame's cache epoch (u64 BE)
}  // namespace DreControlKind

namespace DataFlags {
constexpr uint16_t Lz = 0x1;
constexpr uint16_t Dre = 0x2;
constexpr uint16_t All = Lz | Dre;
}  // namespace DataFlags

/// Caps checked from the header alone, before any payload byte is buffered.
struct FrameLimits {
  /// Largest Data / DreControl payload: a 1 MiB chunk plus room for a DRE/LZ block header.
  size_t maxPayload = (1u << 20) + 64;
  /// Largest Hello / HelloAck payload (an IPv6 Hello is 47 bytes; room for later fields).
  size_t maxHelloPayload = 256;
};

struct FrameHeader {
  FrameType type = FrameType::Keepalive;
  uint16_t flags = 0;
  uint32_t length = 0;
};

struct Frame {
  FrameType type = FrameType::Keepalive;
  uint16_t flags = 0;
  Bytes payload;
  bool operator==(const Frame&) const = default;
};

/// Reads and validates one header: bad magic, unknown type, flags the type does not define, or a
/// length outside the type's bounds / the limits is an Error. NeedMore(8) until 8 bytes exist.
ParseResult decodeFrameHeader(ByteSpan input, const FrameLimits& limits, FrameHeader& out);

/// Decodes one whole frame from the front of `input` (pure, stateless): Done(consumed),
/// NeedMore(total bytes the frame needs), or Error.
ParseResult decodeFrame(ByteSpan input, const FrameLimits& limits, Frame& out);

/// Incremental decoder for one direction of a peered connection: feed chunks as they arrive,
/// collect whole frames. Holds at most one incomplete frame, whose header has already passed the
/// caps, so its buffer never exceeds kFrameHeaderLength + limits.maxPayload.
class FrameDecoder {
 public:
  explicit FrameDecoder(FrameLimits limits = {}) : limits_(limits) {}

  /// Consumes all of `chunk`, appending every completed frame to `frames`.
  /// @return Done(chunk.size()), or Error (sticky: every later call fails the same way).
  ParseResult feed(ByteSpan chunk, std::vector<Frame>& frames);

  size_t bufferedBytes() const { return buffer_.size(); }
  bool failed() const { return !error_.empty(); }

 private:
  ParseResult fail(std::string why);

  FrameLimits limits_;
  Bytes buffer_;
  std::string error_;
};

/// Writes frames; refuses (returns false, writes nothing) exactly what the decoder would reject,
/// so a frame this side sends is one the peer accepts.
class FrameEncoder {
 public:
  explicit FrameEncoder(FrameLimits limits = {}) : limits_(limits) {}

  bool encode(FrameType type, uint16_t flags, ByteSpan payload, Bytes& out) const;
  /// The header alone, for a payload of `length` bytes sent right after it (no copy of it).
  bool encodeHeader(FrameType type, uint16_t flags, size_t length,
                    std::array<uint8_t, kFrameHeaderLength>& out) const;
  bool encode(const Frame& frame, Bytes& out) const {
    return encode(frame.type, frame.flags, frame.payload, out);
  }

 private:
  FrameLimits limits_;
};

}  // namespace bh::proxy::codec
