#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bh::lab {

/// What the WAN emulator does to one TLS record of a peer leg (proxy/wan_secure/README.md
/// "Failures never lose a flow" says what the boxes must do about each).
enum class TamperAction {
  Flip,      ///< one byte of the record's body inverted (AEAD: bad_record_mac, RFC 8446 5.2)
  Garbage,   ///< the 5-byte record header overwritten with bytes no TLS record starts with
  Oversize,  ///< the header's length set to 2^14 + 256 + 1 (record_overflow, RFC 8446 5.2)
  Cut,       ///< the record cut inside its body and the direction closed with a FIN there
};

/// The direction of the watched connection: to the server (from the SYN's sender: edge to core
/// on a peer leg) or to the client (core to edge).
enum class TamperDirection { ToServer, ToClient };

/// One tamper: the next TCP connection whose SYN goes to `port` is watched; the TLS records of
/// `direction` are counted from 1 and the first one at or after `record` whose header lies in
/// one packet (with a body byte after it, for Flip and Cut) gets `action`.
struct TamperPlan {
  TamperAction action = TamperAction::Flip;
  TamperDirection direction = TamperDirection::ToServer;
  uint32_t record = 1;
  uint16_t port = 0;
};

/// Parses "ACTION DIRECTION RECORD PORT" (flip|garbage|oversize|cut, to-server|to-client, a
/// record number from 1, a TCP port), the line `bhlab tamper` writes.
std::optional<TamperPlan> parseTamperPlan(std::string_view line);

enum class TamperVerdict {
  Accept,         ///< the packet unchanged (the caller delays it as any other)
  AcceptMangled,  ///< the packet changed in place (new length given back), checksums updated
  Drop,           ///< a packet after a Cut, of the closed direction: never delivered
};

/// Watches one connection for one plan. Pure: it sees IPv4 packets as NFQUEUE hands them over
/// (the IP header first) and changes them in place; IPv6 and other protocols pass untouched.
/// The TCP stream of the chosen direction is followed from the handshake's sequence numbers,
/// in order (a segment already seen passes again unchanged; one after a gap ends the watch,
/// reported, as the records can no longer be counted).
class RecordTamper {
 public:
  explicit RecordTamper(const TamperPlan& plan) : plan_(plan) {}

  /// One packet of `length` bytes in `packet` (room for at least `length`: a Cut only shrinks).
  TamperVerdict onPacket(uint8_t* packet, size_t& length);

  /// The plan was carried out (or the watch gave up); Cut still drops the closed direction.
  bool finished() const { return phase_ == Phase::Done || phase_ == Phase::Lost; }
  /// Still worth seeing packets: waiting, following the stream, or dropping after a Cut.
  bool active() const { return phase_ != Phase::Done && phase_ != Phase::Lost; }
  /// What happened, for the emulator's stats: "armed", "watching ...", "done: flip to-server
  /// record 3 (stream offset 517)", "lost: ...".
  const std::string& report() const { return report_; }

 private:
  enum class Phase { Waiting, Following, Dropping, Done, Lost };
  struct Endpoint {
    uint32_t addr = 0;
    uint16_t port = 0;
  };

  bool watched(const Endpoint& from, const Endpoint& to) const;
  TamperVerdict onPayload(uint8_t* packet, size_t& length, size_t ipLen, size_t tcpOff,
                          size_t payloadLen, uint32_t seq);

  TamperPlan plan_;
  Phase phase_ = Phase::Waiting;
  std::string report_ = "armed";
  Endpoint client_, server_;
  bool haveIsn_ = false;     // the first stream byte's sequence number of the direction is known
  uint32_t isn_ = 0;         // sequence number of stream offset 0 of the direction
  uint64_t seen_ = 0;        // stream bytes of the direction seen so far (in order)
  uint64_t nextHeader_ = 0;  // stream offset of the next record header
  uint32_t records_ = 0;     // record headers counted so far
  uint8_t partial_[5] = {};  // a header split across segments, as far as seen
  size_t partialLen_ = 0;
  uint64_t recordEnd_ = 0;  // stream offset just past the record being read
};

/// The IPv4 header checksum and the TCP checksum over the pseudo header (RFC 791, RFC 793 3.1),
/// recomputed in place for a packet whose bytes changed.
void fixIpv4TcpChecksums(uint8_t* packet, size_t length);

}  // namespace bh::lab
