#pragma once

#include <uv.h>

#include <array>
#include <deque>
#include <functional>
#include <memory>

#include "accel/flow_filter.h"
#include "common/bytes.h"
#include "proxy/codec/peer_frame.h"
#include "proxy/codec/peer_hello.h"
#include "proxy/flow_info.h"
#include "proxy/splice_relay.h"
#include "proxy/wan_secure/secure_leg.h"

namespace bh::proxy {

/// How a leg carries the flow's bytes: as they are (a client or server), or framed in the
/// peer protocol (the other Bridgehead).
enum class LegKind { Raw, Peer };

/// Transforms application bytes for the WAN and back (the generic accelerator's DRE/LZ); the
/// identity for TFO-only flows. One per flow; called only for Peer legs.
class DataCodec {
 public:
  virtual ~DataCodec() = default;
  /// Frames to send the peer before any data.
  virtual void start(std::vector<codec::Frame>& toPeer) { (void)toPeer; }
  /// Encodes `in` into a Data frame payload (possibly empty: the codec may hold the bytes until
  /// flush()); sets the frame flags.
  virtual void encode(ByteSpan in, Bytes& out, uint16_t& flags) = 0;
  /// Emits everything held. The flow calls it once the loop has taken every read available
  /// now (and before a half-close), so a burst is chunked as one stream, not per read.
  virtual void flush(Bytes& out, uint16_t& flags) { (void)out, (void)flags; }
  /// True when encode() may hold bytes that flush() must emit.
  virtual bool holdsInput() const { return false; }
  /// Decodes one Data frame payload into `out` (possibly nothing yet); frames to answer the
  /// peer go to `toPeer`. False on any error: the flow is then reset.
  virtual bool decode(uint16_t flags, ByteSpan in, Bytes& out, std::vector<codec::Frame>& toPeer,
                      std::string& error) = 0;
  /// A DreControl frame from the peer.
  virtual bool control(uint16_t kind, ByteSpan body, Bytes& out, std::vector<codec::Frame>& toPeer,
                       std::string& error) {
    (void)kind, (void)body, (void)out, (void)toPeer;
    error = "control frame on a flow without DRE/LZ";
    return false;
  }
  /// Bytes the codec holds (bounded by its own caps).
  virtual size_t bufferedBytes() const { return 0; }
  /// True while received data waits for something (e.g. re-sent chunks) before it can be
  /// delivered: a half-close from the peer must wait too.
  virtual bool decodePending() const { return false; }
};

using accel::FlowFilter;
using accel::FlowObserver;

/// What a flow tells the box that owns it.
class FlowOwner {
 public:
  virtual ~FlowOwner() = default;
  /// The outbound leg connected (status 0) or failed (< 0). The owner decides the leg kinds
  /// and calls startRelay(), or lets the flow fail.
  virtual void onOutboundConnected(class Flow& flow, int status) = 0;
  /// A Hello (core) or HelloAck (edge) arrived; false resets the flow.
  virtual bool onHello(class Flow& flow, const codec::Hello& hello) = 0;
  virtual bool onHelloAck(class Flow& flow, const codec::HelloAck& ack) = 0;
  /// The peer leg turned out to carry raw bytes (see Flow::expectHello): the flow is now a
  /// pass-through relay.
  virtual void onPeerFallback(class Flow& flow) = 0;
  /// Both legs are closed; the flow is about to be deleted.
  virtual void onFlowClosed(class Flow& flow) = 0;
  /// WAN secure: the TLS of peer leg `leg` is open (handshake done, revocation checked).
  virtual void onSecureLegOpen(class Flow& flow, int leg) { (void)flow, (void)leg; }
  /// WAN secure: peer leg `leg` failed (flow.secureLeg(leg) names why). `confirmed` says whether
  /// client or server bytes may already have crossed it: if not, the owner may carry the flow
  /// on without WAN secure (dropOutboundForFallback on the edge); if so, only a reset is safe.
  virtual void onSecureLegFailed(class Flow& flow, int leg, bool confirmed);
  /// The outbound leg dropped by dropOutboundForFallback() is closed: leg 1 may be connected
  /// again (connectOutbound).
  virtual void onOutboundDropped(class Flow& flow);
  /// Edge (Flow::readFirstFlight): the client's bytes so far (`ended`: it sent its FIN). The
  /// owner starts the relay (startRelay) once they decide how the peer leg starts, or waits.
  virtual void onFirstFlight(class Flow& flow, ByteSpan bytes, bool ended) {
    (void)flow, (void)bytes, (void)ended;
  }
  /// Core (Flow::allowTlsStart): the edge's first bytes on peer leg `leg` are a TLS record. The
  /// owner secures the leg (Flow::secureLeg) and returns true, or false: the flow is reset
  /// (nothing has gone to the server yet).
  virtual bool onPeerStartsTls(class Flow& flow, int leg) {
    (void)flow, (void)leg;
    return false;
  }
  /// The flow holds encoded-but-unsent input: call flow.flushCodec() at the end of this loop
  /// iteration (after every read ready now has been taken).
  virtual void requestFlush(class Flow& flow) = 0;
  virtual void logFlow(const class Flow& flow, const std::string& what) = 0;
};

/// One proxied TCP flow: leg 0 is the connection the listener accepted, leg 1 the one this
/// box opened. Bytes are relayed both ways with back-pressure (a leg with too much unsent data
/// stops the other leg's reads), half-close carried end to end, and any failure resets both
/// ends: a byte is never delivered twice, dropped or altered without the connection dying.
/// A flow whose legs are both raw and that no observer watches (pass-through) is handed to a
/// SpliceRelay: the bytes go socket to socket through kernel pipes, never copied here; the
/// guarantees above are the same.
/// Lifetime: owned by the FlowOwner; deleted by it after onFlowClosed.
class Flow : private SpliceRelay::Owner {
 public:
  static constexpr size_t kHighWater = 512 * 1024;
  static constexpr size_t kLowWater = 128 * 1024;
  /// One read takes at most this much (the loop's single read buffer; 256 KiB measured
  /// ~10 % less CPU per byte than 64 KiB on optimized flows).
  static constexpr size_t kReadBuffer = 256 * 1024;

  Flow(uv_loop_t* loop, FlowOwner& owner, FlowInfo info);
  Flow(const Flow&) = delete;
  Flow& operator=(const Flow&) = delete;
  ~Flow() override;

  /// The handle uv_accept fills (leg 0).
  uv_stream_t* acceptedStream();
  /// Opens leg 1 on `fd` (already bound, transparent) and connects it to `to`.
  int connectOutbound(int fd, const Endpoint& to);
  /// Leg 1's connect has completed (false while its SYN is out).
  bool outboundConnected() const { return legs_[1].connected; }
  /// Starts relaying; each leg's kind decides whether it is framed.
  void startRelay(LegKind leg0, LegKind leg1, std::unique_ptr<DataCodec> codec = nullptr);
  /// Core: leg `i` (Peer) waits for the edge's Hello before anything is sent on it; call before
  /// startRelay. If the first bytes are not a valid Hello for this flow, the leg falls back to
  /// a raw relay (FlowOwner::onPeerFallback): the edge is relaying the client unchanged.
  void expectHello(int i) { legs_[i].awaitingHello = true; }
  /// Core, with expectHello: the edge may start leg `i` with TLS instead of its clear Hello
  /// (WAN secure `auto` on both ends). A first byte that opens a TLS handshake record asks the
  /// owner for the leg (FlowOwner::onPeerStartsTls); the Hello then comes inside TLS.
  void allowTlsStart(int i) { legs_[i].tlsMayStart = true; }
  /// Edge, instead of startRelay for now: reads the client (at most `cap` bytes) and tells the
  /// owner after each read (FlowOwner::onFirstFlight). The owner then sets the peer leg up and
  /// calls startRelay, which relays these bytes first, as if read then.
  void readFirstFlight(size_t cap);
  /// WAN secure: peer leg `i` runs TLS (`leg` between the socket and the frame codec). Call
  /// before startRelay. Nothing but TLS crosses the leg; a failure goes to the owner
  /// (onSecureLegFailed).
  void secureLeg(int i, std::unique_ptr<SecureLeg> leg);
  /// Edge: the other leg (the client) is read once while this secured leg is in its handshake
  /// (early data, or held for our Finished), then not until it is open; from the first read
  /// until the peer confirms the leg (its HelloAck, sent once its side is open and our
  /// certificate accepted) every client byte sent is also kept (kMaxUnconfirmed, then reads
  /// pause): a failure before the confirmation can then hand the flow off with every byte
  /// (dropOutboundForFallback).
  void holdUntilConfirmed(int i) { legs_[i].awaitingConfirm = true; }
  static constexpr size_t kMaxUnconfirmed = 256 * 1024;
  /// An edge's one read of the client while a full handshake runs: one TLS record (RFC 8446
  /// section 5.1), held by the secured leg (SecureLeg's maxHeldPlaintext, 64 KiB, bounds it with
  /// the Hello) until our Finished goes.
  static constexpr size_t kMaxHandshakeRead = 16 * 1024;
  const SecureLeg* secureLegOf(int i) const { return legs_[i].tls.get(); }
  /// Edge, before the peer confirmed: resets leg 1 and drops the accelerator; once it is closed
  /// the owner hears onOutboundDropped and opens a new outbound leg (pass-through), on which
  /// the kept client bytes (and its FIN) go first. False (nothing done) if the client has
  /// already been sent something: then only a reset is safe.
  bool dropOutboundForFallback();
  /// After dropOutboundForFallback, for a new peer leg rather than a pass-through one: the kept
  /// client bytes (and its FIN) go through the next startRelay as a first flight, into the
  /// accelerator and the codec, instead of raw.
  void replayKeptAsFirstFlight();
  /// Sends a peer-protocol frame on leg `i` (must be a Peer leg).
  void sendFrame(int i, codec::FrameType type, ByteSpan payload, uint16_t flags = 0);
  /// Call before startRelay: a watched flow is never spliced.
  void setObserver(std::unique_ptr<FlowObserver> observer) { observer_ = std::move(observer); }
  /// Puts an accelerator between the raw leg and the peer leg (one raw, one peer leg).
  void setFilter(std::unique_ptr<FlowFilter> filter) { filter_ = std::move(filter); }
  bool hasFilter() const { return filter_ != nullptr; }
  const FlowFilter* filter() const { return filter_.get(); }
  /// Asks the filter to hand the flow off (FlowFilter::requestHandOff) and carries out what it
  /// emits.
  void handOffFilter(uint16_t reason, const std::string& why);
  /// Runs `step` on the filter from outside the flow's own I/O (the box acting for the
  /// accelerator's group) and carries out what it emits. Nothing when there is no filter.
  void runFilter(const std::function<void(FlowFilter&, FlowFilter::Output&)>& step);
  /// Sends what the codec holds (see DataCodec::flush).
  void flushCodec();
  /// Resets both ends (RST on raw legs, Reset frame on peer legs) and closes.
  void abort(uint16_t reason, const std::string& why);

  FlowInfo& info() { return info_; }
  const FlowInfo& info() const { return info_; }
  int legFd(int i) const;
  /// Bytes buffered by this flow now (unsent writes + partial frames + bytes in splice
  /// pipes): bounded by design.
  size_t bufferedBytes() const;
  /// True while the bytes are relayed with splice(2) (see SpliceRelay).
  bool splicing() const { return splice_ != nullptr; }

 private:
  struct Leg {
    uv_tcp_t tcp{};
    Flow* flow = nullptr;
    int index = 0;
    LegKind kind = LegKind::Raw;
    bool initialized = false;
    bool connected = false;
    bool reading = false;
    bool pausedByPeer = false;       ///< reads stopped because the other leg is full
    bool eofIn = false;              ///< the far end finished sending (FIN or HalfClose)
    bool halfCloseDeferred = false;  ///< HalfClose received while decoded data was pending
    bool eofDeferred = false;        ///< raw leg's EOF waits for the filter to let go of held bytes
    bool tcpEof = false;             ///< the connection itself delivered EOF: nothing more to read
    /// A raw leg whose reads start after the flow held it (startHeldReading): what its next read
    /// takes waited in the kernel while the peer leg was set up, so that burst has already
    /// paused and the codec flushes at once when the read drains the socket, not kFlushIdleMs
    /// later (docs/ARCHITECTURE.md, "A flow's first bytes").
    bool flushOnDrain = false;
    /// Core: nothing is sent on this peer leg until the edge's Hello is seen; bytes that are
    /// not a valid Hello mean the edge did not see our answer and relays raw (helloBuffer).
    bool awaitingHello = false;
    Bytes helloBuffer;
    bool tlsMayStart = false;  ///< see allowTlsStart
    /// WAN secure: TLS between the socket and the frame codec (null: the leg is in clear).
    std::unique_ptr<SecureLeg> tls;
    /// Edge: the peer has not yet confirmed this secured leg (see holdUntilConfirmed).
    bool awaitingConfirm = false;
    bool secureFailed = false;  ///< its failure went to the owner (once)
    /// Its opening went to the owner (once). A flag, not a before/after look at the leg: a
    /// revocation verdict opens the leg before the flow hears of it (SecureLeg::setOnChange).
    bool secureOpenNoted = false;
    /// Reads stopped while the revocation check runs: what the peer sends meanwhile stays in
    /// the kernel, not in the session (whose caps would refuse it).
    bool pausedForCheck = false;
    bool shutdownOut = false;  ///< we finished sending towards it (shutdown or HalfClose)
    /// Edge, secured: the flow is complete, the leg stays open (read, nothing relayed) until
    /// the core's resumption ticket, its EOF or an error (maybeFinish).
    bool lingering = false;
    bool closing = false;
    bool closed = false;
    size_t pendingWrite = 0;
    std::unique_ptr<codec::FrameDecoder> decoder;
    /// Peer frames read but not yet decoded because the other leg was above its high-water
    /// mark (releaseHeldFrames). Bounded by one read (or one TLS take) of this leg: its reads
    /// stop while any are held.
    std::deque<codec::Frame> heldFrames;
    size_t heldFrameBytes = 0;
  };
  struct WriteReq;

  static void onAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void onWrite(uv_write_t* req, int status);
  static void onConnect(uv_connect_t* req, int status);
  static void onShutdown(uv_shutdown_t* req, int status);
  static void onClose(uv_handle_t* h);

  Leg& other(const Leg& l) { return legs_[1 - l.index]; }
  void startReading(Leg& l);
  /// startReading for a raw leg the flow held until now (see Leg::flushOnDrain).
  void startHeldReading(Leg& l);
  void stopReading(Leg& l);
  void onBytes(Leg& from, ByteSpan data);
  /// A raw leg's bytes: kept while unconfirmed, through the filter, encoded for the peer.
  void onRawBytes(Leg& from, ByteSpan data);
  /// Decodes held peer frames in order while the other leg is below its high-water mark.
  void releaseHeldFrames(Leg& from);
  /// WAN secure: ciphertext read from a secured leg (empty: the leg's state moved on its own,
  /// e.g. a revocation verdict arrived).
  void onCiphertext(Leg& from, ByteSpan data);
  /// Writes what the leg's TLS has sealed (handshake flights, records, alerts).
  void writeCiphertext(Leg& l, bool closeAfter = false);
  void onSecureFailed(Leg& from);
  void onSecureEof(Leg& from);
  /// A lingering leg's read (maybeFinish): the ticket is taken, then the leg closes.
  void readLingering(Leg& l, ssize_t n, ByteSpan data);
  /// Leg 1 after dropOutboundForFallback closed: a fresh handle, nothing relayed yet.
  void renewOutboundLeg();
  void onFrame(Leg& from, codec::Frame& frame);
  void onEof(Leg& from);
  /// Core side of expectHello(): buffers until a Hello decides, then continues or falls back.
  void onBytesAwaitingHello(Leg& from, ByteSpan data);
  void startCodec(Leg& peer);
  /// After a peer frame decoded: answer the peer, deliver the plain bytes, release a
  /// half-close that waited for them.
  void afterDecode(Leg& from, Bytes&& plain, std::vector<codec::Frame>& toPeer);
  void deliver(Leg& to, ByteSpan data);
  /// deliver() of a buffer the flow owns (a decoded block): towards a raw leg without TLS what
  /// the socket does not take at once is queued in that buffer, not copied.
  void deliver(Leg& to, Bytes&& data);
  /// Carries out what the filter asked; `raw` is the raw leg.
  void applyFilter(FlowFilter::Output& out, Leg& raw);
  /// Half-closes the filter deferred, once it allows them.
  void releaseDeferredEofs(Leg& raw);
  void write(Leg& to, Bytes&& data, bool closeAfter = false);
  /// write() without TLS: the bytes go to the socket as they are.
  /// `offset`: the first bytes of `data` went out already.
  void writeRaw(Leg& to, Bytes&& data, bool closeAfter = false, size_t offset = 0);
  /// Writes `first` then `second` (either may be empty), copying only what the socket does
  /// not take at once.
  void writeParts(Leg& to, ByteSpan first, ByteSpan second);
  void writePartsRaw(Leg& to, ByteSpan first, ByteSpan second);
  /// writeRaw() that first offers the bytes to the socket (uv_try_write) when nothing is queued.
  void writeOwnedRaw(Leg& to, Bytes&& data);
  void finishTowards(Leg& to);
  void maybeFinish();
  void closeLeg(Leg& l, bool reset);
  void fail(Leg& from, int err);
  /// Hands the flow to a SpliceRelay when it is pass-through and nothing is in flight here.
  void maybeSplice();
  void onSpliceFailed(int leg, int uvErr) override;
  void onSpliceFinished() override;

  uv_loop_t* loop_;
  FlowOwner& owner_;
  FlowInfo info_;
  std::array<Leg, 2> legs_;
  std::unique_ptr<DataCodec> codec_;
  std::unique_ptr<FlowObserver> observer_;
  std::unique_ptr<FlowFilter> filter_;
  std::unique_ptr<SpliceRelay> splice_;
  codec::FrameEncoder encoder_;
  bool relaying_ = false;
  bool spliceRefused_ = false;
  bool aborted_ = false;
  bool notifiedClosed_ = false;
  bool droppingOutbound_ = false;  ///< leg 1 closes to be opened again (dropOutboundForFallback)
  bool replayOnRelay_ = false;     ///< the next startRelay sends unconfirmedClient_ first
  /// Edge: client bytes sent on a secured leg the peer has not confirmed yet.
  Bytes unconfirmedClient_;
  /// Edge, readFirstFlight: the client's bytes read before the relay starts (capped), and
  /// whether its FIN came too.
  bool readingFirstFlight_ = false;
  size_t firstFlightCap_ = 0;
  Bytes firstFlight_;
  bool firstFlightEnded_ = false;
  bool pausedForConfirm_ = false;  ///< client reads paused: kMaxUnconfirmed bytes kept
  uv_connect_t connectReq_{};
};

}  // namespace bh::proxy
