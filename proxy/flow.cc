#include "proxy/flow.h"

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <utility>

#include "proxy/codec/peer_messages.h"

namespace bh::proxy {

namespace {

// One read buffer for the whole loop: libuv calls alloc then read back to back on one thread,
// and every read is consumed (written, copied into a queued write, or decoded) before the next
// alloc.
alignas(64) char gReadBuffer[Flow::kReadBuffer];

class IdentityCodec : public DataCodec {
 public:
  void encode(ByteSpan in, Bytes& out, uint16_t& flags) override {
    out.assign(in.begin(), in.end());
    flags = 0;
  }
  bool decode(uint16_t flags, ByteSpan in, Bytes& out, std::vector<codec::Frame>&,
              std::string& error) override {
    if (flags != 0) {
      error = "encoded Data frame on a flow without DRE/LZ";
      return false;
    }
    out.assign(in.begin(), in.end());
    return true;
  }
};

}  // namespace

void FlowOwner::onSecureLegFailed(Flow& flow, int leg, bool confirmed) {
  (void)leg, (void)confirmed;
  flow.abort(codec::ResetReason::Unspecified, "WAN secure failed");
}

void FlowOwner::onOutboundDropped(Flow& flow) {
  flow.abort(codec::ResetReason::Unspecified, "outbound leg dropped");
}

struct Flow::WriteReq {
  uv_write_t req{};
  Flow* flow = nullptr;
  int leg = 0;
  bool closeAfter = false;
  Bytes data;
  size_t offset = 0;  ///< the bytes before it went out already (Flow::writeCiphertext)
  size_t queued() const { return data.size() - offset; }
};

Flow::Flow(uv_loop_t* loop, FlowOwner& owner, FlowInfo info)
    : loop_(loop), owner_(owner), info_(std::move(info)) {
  for (int i = 0; i < 2; ++i) {
    legs_[i].flow = this;
    legs_[i].index = i;
    uv_tcp_init(loop_, &legs_[i].tcp);
    legs_[i].tcp.data = &legs_[i];
    legs_[i].initialized = true;
  }
  legs_[0].connected = true;  // filled by uv_accept
}

Flow::~Flow() = default;

uv_stream_t* Flow::acceptedStream() {
  return reinterpret_cast<uv_stream_t*>(&legs_[0].tcp);
}

int Flow::legFd(int i) const {
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<const uv_handle_t*>(&legs_[i].tcp), &fd) != 0) {
    return -1;
  }
  return fd;
}

int Flow::connectOutbound(int fd, const Endpoint& to) {
  int r = uv_tcp_open(&legs_[1].tcp, fd);
  if (r != 0) {
    return r;
  }
  sockaddr_storage ss{};
  sockaddrFromEndpoint(to, ss);
  connectReq_.data = this;
  return uv_tcp_connect(&connectReq_, &legs_[1].tcp, reinterpret_cast<sockaddr*>(&ss),
                        &Flow::onConnect);
}

void Flow::onConnect(uv_connect_t* req, int status) {
  auto* f = static_cast<Flow*>(req->data);
  if (f->aborted_ || status == UV_ECANCELED) {
    return;
  }
  f->legs_[1].connected = status == 0;
  f->owner_.onOutboundConnected(*f, status);
}

void Flow::readFirstFlight(size_t cap) {
  readingFirstFlight_ = true;
  firstFlightCap_ = cap;
  startReading(legs_[0]);
}

void Flow::startRelay(LegKind leg0, LegKind leg1, std::unique_ptr<DataCodec> codec) {
  if (aborted_) {
    return;
  }
  if (readingFirstFlight_) {
    readingFirstFlight_ = false;
    stopReading(legs_[0]);
  }
  legs_[0].kind = leg0;
  legs_[1].kind = leg1;
  codec_ = codec ? std::move(codec) : std::make_unique<IdentityCodec>();
  if (replayOnRelay_) {
    // After a WAN secure hand-off: what the client sent on the refused leg goes first.
    replayOnRelay_ = false;
    Bytes kept = std::move(unconfirmedClient_);
    unconfirmedClient_.clear();
    legs_[0].kind = LegKind::Raw;
    legs_[1].kind = LegKind::Raw;
    if (!kept.empty()) {
      deliver(legs_[1], kept);
    }
    if (legs_[0].eofIn && !aborted_) {
      finishTowards(legs_[1]);
    }
  }
  for (Leg& l : legs_) {
    if (l.kind == LegKind::Peer) {
      l.decoder = std::make_unique<codec::FrameDecoder>();
    }
  }
  relaying_ = true;
  for (Leg& l : legs_) {
    if (l.kind == LegKind::Peer && !l.awaitingHello) {
      startCodec(l);
    }
  }
  for (Leg& l : legs_) {
    if (l.tls && !aborted_) {
      writeCiphertext(l);  // the edge's ClientHello (with the Hello held until the leg opens)
    }
  }
  // What the client sent while the edge decided how the peer leg starts (readFirstFlight) goes
  // first, through the same path as any read, before anything else is read or spliced.
  const bool clientEnded = firstFlightEnded_;
  const bool replayed = !firstFlight_.empty();
  if (replayed || clientEnded) {
    Bytes first = std::move(firstFlight_);
    firstFlight_ = Bytes();
    firstFlightEnded_ = false;
    if (replayed && !aborted_) {
      onBytes(legs_[0], first);
    }
    if (clientEnded && !aborted_) {
      onEof(legs_[0]);
    }
  }
  if (aborted_) {
    return;
  }
  maybeSplice();
  if (!splice_ && !aborted_) {
    // A core leg waiting for the edge's Hello decides whether the other side's bytes go out
    // framed or raw: nothing is read from that side (a server that speaks first) until then.
    for (Leg& l : legs_) {
      const Leg& o = other(l);
      // An edge leg in its TLS handshake takes one read of the client at once: with 0-RTT its
      // first bytes leave as early data; on a full handshake they wait, sealed with our
      // Finished and the Hello in one flight, so the request costs no turn after the handshake
      // (proxy/wan_secure/README.md, "Handshake time and early data"). A first flight replayed
      // into such a leg was that read. More is read once the leg opens (onCiphertext).
      const bool waitForOpen =
          o.awaitingConfirm && !(o.tls && (o.tls->open() || !(replayed && l.index == 0)));
      if (!o.awaitingHello && !waitForOpen && !(l.index == 0 && clientEnded) &&
          !(l.index == 0 && pausedForConfirm_)) {
        if (replayed && l.index == 0) {
          startReading(l);  // the held bytes were the first flight, handed over above
        } else {
          startHeldReading(l);
        }
      }
    }
  }
  if (replayed && !aborted_) {
    // The first flight waited while the peer leg was set up: its burst is over, so it leaves
    // now rather than kFlushIdleMs later (flushCodec keeps it if more waits in the socket).
    flushCodec();
  }
}

void Flow::secureLeg(int i, std::unique_ptr<SecureLeg> leg) {
  Leg& l = legs_[i];
  l.tls = std::move(leg);
  // A revocation verdict arrives later, from the checker: go on from where the leg stands.
  l.tls->setOnChange([this, i] { onCiphertext(legs_[i], {}); });
}

void Flow::onCiphertext(Leg& from, ByteSpan data) {
  // A whole read goes in at once: TlsSession opens its records in place and keeps only what it
  // has no plaintext room for (maxCiphertextIn), so the frame decoder gets one read's plaintext
  // (up to kReadBuffer) and decodes whole frames from it without buffering them.
  if (aborted_ || from.closing || !from.tls || from.secureFailed) {
    return;
  }
  SecureLeg& s = *from.tls;
  Bytes plain;
  s.receive(data, plain);
  writeCiphertext(from);
  if (aborted_) {
    return;
  }
  if (s.phase() == SecureLeg::Phase::Failed) {
    onSecureFailed(from);
    return;
  }
  if (s.phase() == SecureLeg::Phase::CheckingRevocation && from.reading) {
    stopReading(from);
    from.pausedForCheck = true;
  }
  if (!from.secureOpenNoted && s.open()) {
    from.secureOpenNoted = true;
    if (from.pausedForCheck) {
      from.pausedForCheck = false;
      startReading(from);
    }
    owner_.onSecureLegOpen(*this, from.index);
    if (aborted_) {
      return;
    }
    // What waited for a confirmed secured leg (eMAPI's keys at the core) may cross now.
    runFilter([](FlowFilter& f, FlowFilter::Output& out) { f.onPeerLegSecured(out); });
    if (aborted_) {
      return;
    }
    if (from.awaitingConfirm && relaying_) {
      startHeldReading(other(from));  // the client may speak; its bytes are kept until confirmed
    }
  }
  if (!plain.empty()) {
    onBytes(from, plain);
  }
  // What one take did not hand over waits in the session, and the socket may bring nothing
  // more (the peer's last bytes were in this read): go on unless back-pressure paused the leg,
  // which then goes on when its reads resume (onWrite). Each pass empties the session's
  // plaintext, which it refills only from what it holds (its caps), so this ends.
  if (!aborted_ && !from.pausedByPeer && !from.closing && !from.secureFailed && from.tls &&
      from.tls->plaintextWaiting()) {
    onCiphertext(from, {});
  }
}

void Flow::writeCiphertext(Leg& l, bool closeAfter) {
  Bytes c = l.tls->takeCiphertext();
  if (closeAfter) {
    writeRaw(l, std::move(c), true);
    return;
  }
  if (c.empty()) {
    return;
  }
  // The sealed bytes are this flow's own buffer: what the socket does not take now is queued
  // where it is (from an offset), never copied again.
  writeOwnedRaw(l, std::move(c));
}

void Flow::onSecureFailed(Leg& from) {
  if (from.secureFailed) {
    return;
  }
  from.secureFailed = true;
  stopReading(from);
  // Unconfirmed: the edge keeps every client byte it sent (unconfirmedClient_), the core has
  // sent the server nothing.
  // Early data that may have been accepted may have reached the server: handing the flow off
  // would send those bytes twice (secure/README.md "Resumption and early data").
  const bool confirmed = (!from.awaitingConfirm && !from.awaitingHello) ||
                         (from.tls && from.tls->earlyDataMayHaveArrived());
  owner_.onSecureLegFailed(*this, from.index, confirmed);
}

void Flow::onSecureEof(Leg& from) {
  if (!aborted_ && !(from.eofIn && from.shutdownOut) && !from.secureFailed) {
    // The flow is not complete: the peer's stream ended early (a truncation, RFC 8446 section
    // 6.1, unless close_notify came first).
    from.tls->receiveEnd();
    if (from.tls->phase() == SecureLeg::Phase::Failed) {
      stopReading(from);
      from.tcpEof = true;
      onSecureFailed(from);
      return;
    }
  }
  onEof(from);
}

bool Flow::dropOutboundForFallback() {
  if (aborted_ || droppingOutbound_ || info_.lanBytesWritten != 0) {
    return false;
  }
  droppingOutbound_ = true;
  pausedForConfirm_ = false;
  stopReading(legs_[0]);
  // The flow goes on as pass-through: no accelerator may hold or change its bytes.
  filter_.reset();
  observer_.reset();
  closeLeg(legs_[1], /*reset=*/true);
  return true;
}

void Flow::replayKeptAsFirstFlight() {
  replayOnRelay_ = false;
  firstFlight_ = std::move(unconfirmedClient_);
  unconfirmedClient_ = Bytes();
  // Counted when first read; the replay counts them again.
  info_.lanBytesRead -= std::min<uint64_t>(info_.lanBytesRead, firstFlight_.size());
  firstFlightEnded_ = legs_[0].eofIn;
  legs_[0].eofIn = false;
  legs_[0].eofDeferred = false;
}

void Flow::renewOutboundLeg() {
  Leg& l = legs_[1];
  l = Leg{};
  l.flow = this;
  l.index = 1;
  uv_tcp_init(loop_, &l.tcp);
  l.tcp.data = &l;
  l.initialized = true;
  legs_[0].kind = LegKind::Raw;
  legs_[0].decoder.reset();
  legs_[0].pausedByPeer = false;
  relaying_ = false;
  codec_.reset();
  replayOnRelay_ = true;
}

void Flow::maybeSplice() {
  if (splice_ || spliceRefused_ || !relaying_ || aborted_ || observer_ || filter_) {
    return;
  }
  for (const Leg& l : legs_) {
    // Only once nothing is in flight here: libuv holds no unsent bytes of this flow.
    if (l.kind != LegKind::Raw || l.awaitingHello || !l.connected || l.closing ||
        l.pendingWrite != 0) {
      return;
    }
  }
  std::string why;
  splice_ = SpliceRelay::start(loop_, {legFd(0), legFd(1)},
                               {SpliceRelay::LegState{legs_[0].eofIn, legs_[0].shutdownOut},
                                SpliceRelay::LegState{legs_[1].eofIn, legs_[1].shutdownOut}},
                               *this, info_.lanBytesRead, info_.lanBytesWritten, why);
  if (!splice_) {
    spliceRefused_ = true;
    owner_.logFlow(*this, "splice relay unavailable (" + why + "): copying relay");
    return;
  }
  for (Leg& l : legs_) {
    stopReading(l);
    l.pausedByPeer = false;
  }
  static bool announced = false;
  if (!announced) {
    announced = true;
    owner_.logFlow(*this,
                   "relayed with splice(2), as every pass-through flow from now on: no "
                   "copy through userspace");
  }
}

void Flow::onSpliceFailed(int leg, int uvErr) {
  fail(legs_[leg], uvErr);
}

void Flow::onSpliceFinished() {
  for (Leg& l : legs_) {
    l.eofIn = l.tcpEof = l.shutdownOut = true;
  }
  maybeFinish();
}

void Flow::startCodec(Leg& peer) {
  std::vector<codec::Frame> toPeer;
  codec_->start(toPeer);
  for (auto& f : toPeer) {
    sendFrame(peer.index, f.type, f.payload, f.flags);
  }
}

void Flow::onBytesAwaitingHello(Leg& from, ByteSpan data) {
  if (from.tlsMayStart && !from.tls && from.helloBuffer.empty() && !data.empty()) {
    from.tlsMayStart = false;
    // A TLS record starts with its content type, handshake (22, RFC 8446 5.1); a peer frame
    // with its magic octet 0xB1 (peer_frame.h), raw client bytes with anything else.
    constexpr uint8_t kTlsHandshakeRecord = 22;
    if (data[0] == kTlsHandshakeRecord) {
      if (!owner_.onPeerStartsTls(*this, from.index)) {
        abort(codec::ResetReason::ProtocolError, "WAN secure could not start on this leg");
        return;
      }
      onCiphertext(from, data);
      return;
    }
  }
  // Bounded: a Hello is a header plus at most maxHelloPayload bytes.
  constexpr size_t kMaxHelloBytes = codec::kFrameHeaderLength + 256;
  from.helloBuffer.insert(from.helloBuffer.end(), data.begin(), data.end());
  codec::FrameLimits limits;
  codec::FrameHeader h;
  ParseResult hr = codec::decodeFrameHeader(from.helloBuffer, limits, h);
  bool fallback = hr.status == ParseStatus::Error ||
                  (hr.ok() && (h.type != codec::FrameType::Hello || h.length > 256));
  codec::Frame hello;
  if (!fallback && hr.ok()) {
    ParseResult fr = codec::decodeFrame(from.helloBuffer, limits, hello);
    if (fr.status == ParseStatus::NeedMore) {
      if (from.helloBuffer.size() <= kMaxHelloBytes) {
        return;
      }
      fallback = true;
    } else if (!fr.ok()) {
      fallback = true;
    } else {
      codec::Hello decoded;
      if (!codec::decodeHello(hello.payload, decoded).ok() || !owner_.onHello(*this, decoded)) {
        fallback = true;
      } else {
        // The edge is peered with us: start the peer protocol, then go on with what follows.
        from.awaitingHello = false;
        Bytes rest(from.helloBuffer.begin() + static_cast<ptrdiff_t>(fr.consumed),
                   from.helloBuffer.end());
        from.helloBuffer.clear();
        info_.wanBytesRead += fr.consumed;
        startCodec(from);
        startHeldReading(other(from));
        if (!rest.empty() && !aborted_) {
          onBytes(from, rest);
        }
        return;
      }
    }
  } else if (!fallback && from.helloBuffer.size() < codec::kFrameHeaderLength) {
    return;  // need the header
  }
  if (!fallback) {
    return;
  }
  if (from.tls) {
    // Inside TLS only a Hello may come first: the edge that secured the leg is ours.
    abort(codec::ResetReason::ProtocolError, "first bytes inside WAN secure are not a Hello");
    return;
  }
  // Not a Hello: the edge never saw our SYN-ACK answer and relays the client as it is. We have
  // sent nothing on this leg, so carrying on as a raw relay loses and alters nothing.
  from.awaitingHello = false;
  from.kind = LegKind::Raw;
  from.decoder.reset();
  Bytes raw = std::move(from.helloBuffer);
  from.helloBuffer.clear();
  owner_.onPeerFallback(*this);
  onBytes(from, raw);
  if (!aborted_) {
    startHeldReading(other(from));  // held back until the Hello question was settled
  }
}

void Flow::startReading(Leg& l) {
  // A peer leg is read past the peer's HalfClose: control frames (e.g. re-sent chunks) may
  // still follow it. Only the connection's own EOF ends reading.
  if (l.reading || l.closing || l.tcpEof || !l.connected) {
    return;
  }
  if (pausedForConfirm_ && other(l).awaitingConfirm) {
    return;  // kMaxUnconfirmed client bytes wait for the core's confirmation
  }
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&l.tcp), &Flow::onAlloc, &Flow::onRead) == 0) {
    l.reading = true;
  }
}

void Flow::startHeldReading(Leg& l) {
  if (l.kind == LegKind::Raw && !l.reading) {
    l.flushOnDrain = true;
  }
  startReading(l);
}

void Flow::stopReading(Leg& l) {
  if (l.reading) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&l.tcp));
    l.reading = false;
  }
}

void Flow::onAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  const Leg& l = *static_cast<const Leg*>(h->data);
  const Leg& o = l.flow->legs_[1 - l.index];
  size_t n = sizeof(gReadBuffer);
  if (l.index == 0 && l.flow->readingFirstFlight_) {
    // Before the relay: read no more than the first-flight cap holds.
    n = std::clamp<size_t>(
        l.flow->firstFlightCap_ - std::min(l.flow->firstFlightCap_, l.flow->firstFlight_.size()), 1,
        n);
  } else if (o.tls && o.awaitingConfirm && !o.tls->open()) {
    // In the handshake (Flow::onRawBytes pauses after this read): 0-RTT, no more than the leg
    // seals as early data now; a full handshake, one record's worth, held until it opens.
    const size_t early = o.tls->earlyRoom();
    n = std::clamp<size_t>(early > 0 ? early : kMaxHandshakeRead, 1, n);
  }
  *buf = uv_buf_init(gReadBuffer, static_cast<unsigned>(n));
}

void Flow::onRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  Leg& l = *static_cast<Leg*>(s->data);
  Flow* f = l.flow;
  if (l.lingering) {
    f->readLingering(
        l, n,
        ByteSpan(reinterpret_cast<const uint8_t*>(buf->base), n > 0 ? static_cast<size_t>(n) : 0));
    return;
  }
  if (n > 0) {
    ByteSpan data(reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(n));
    if (l.tls) {
      f->onCiphertext(l, data);
    } else {
      f->onBytes(l, data);
    }
  } else if (n == UV_EOF) {
    if (l.tls) {
      f->onSecureEof(l);
    } else {
      f->onEof(l);
    }
  } else if (n < 0) {
    f->fail(l, static_cast<int>(n));
  }
}

void Flow::onBytes(Leg& from, ByteSpan data) {
  if (aborted_) {
    return;
  }
  if (readingFirstFlight_ && from.index == 0) {
    firstFlight_.insert(firstFlight_.end(), data.begin(), data.end());
    if (firstFlight_.size() >= firstFlightCap_) {
      stopReading(from);
    }
    owner_.onFirstFlight(*this, firstFlight_, false);
    return;
  }
  if (from.kind == LegKind::Raw) {
    onRawBytes(from, data);
    if (std::exchange(from.flushOnDrain, false) && !aborted_) {
      flushCodec();  // it keeps the codec's input when more already waits in the socket
    }
    return;
  }
  if (from.awaitingHello) {
    onBytesAwaitingHello(from, data);
    return;
  }
  info_.wanBytesRead += data.size();
  std::vector<codec::Frame> frames;
  ParseResult r = from.decoder->feed(data, frames);
  if (r.status == ParseStatus::Error && !from.heldFrames.empty()) {
    abort(codec::ResetReason::ProtocolError, "bad peer frame: " + r.error);
    return;
  }
  // Frames decoded before an error are still valid and in order: deliver them first.
  for (auto& fr : frames) {
    from.heldFrameBytes += fr.payload.size();
    from.heldFrames.push_back(std::move(fr));
  }
  releaseHeldFrames(from);
  if (r.status == ParseStatus::Error && !aborted_) {
    abort(codec::ResetReason::ProtocolError, "bad peer frame: " + r.error);
  }
}

void Flow::onRawBytes(Leg& from, ByteSpan data) {
  info_.lanBytesRead += data.size();
  if (other(from).awaitingConfirm) {
    // Kept until the core confirms the secured leg; a bounded copy (one read past the cap).
    unconfirmedClient_.insert(unconfirmedClient_.end(), data.begin(), data.end());
    if (unconfirmedClient_.size() >= kMaxUnconfirmed) {
      stopReading(from);
      pausedForConfirm_ = true;
    }
    if (other(from).tls && !other(from).tls->open()) {
      // Read in the handshake (early data, or held for our Finished): what more the client
      // sends waits (in the kernel) for the leg to open, which starts the reads again
      // (onCiphertext).
      stopReading(from);
    }
  }
  if (observer_) {
    observer_->onData(from.index == 0, data);  // leg 0 faces the client
  }
  if (filter_) {
    FlowFilter::Output out;
    filter_->onLocalData(data, out);
    applyFilter(out, from);
    releaseDeferredEofs(from);
    return;
  }
  deliver(other(from), data);
}

void Flow::releaseHeldFrames(Leg& from) {
  // One read of a peer leg holds many frames, and a frame of DRE references decodes to
  // megabytes: the other leg's high-water mark is checked before each frame, not once per read.
  // Without it a read of 64 KiB put 30 MiB in one write queue (docs/ARCHITECTURE.md, "The
  // memory budget").
  Leg& to = other(from);
  while (!from.heldFrames.empty() && !aborted_) {
    if (to.pendingWrite > kHighWater) {
      stopReading(from);
      from.pausedByPeer = true;  // onWrite releases the rest once `to` drains
      return;
    }
    codec::Frame fr = std::move(from.heldFrames.front());
    from.heldFrames.pop_front();
    from.heldFrameBytes -= fr.payload.size();
    onFrame(from, fr);
  }
}

void Flow::onFrame(Leg& from, codec::Frame& frame) {
  Leg& to = other(from);
  switch (frame.type) {
    case codec::FrameType::Data: {
      if (from.eofIn) {
        abort(codec::ResetReason::ProtocolError, "Data after HalfClose");
        return;
      }
      Bytes plain;
      std::string err;
      std::vector<codec::Frame> toPeer;
      if (!codec_->decode(frame.flags, frame.payload, plain, toPeer, err)) {
        abort(codec::ResetReason::ProtocolError, "Data frame: " + err);
        return;
      }
      afterDecode(from, std::move(plain), toPeer);
      return;
    }
    case codec::FrameType::DreControl: {
      Bytes plain;
      std::string err;
      std::vector<codec::Frame> toPeer;
      if (!codec_->control(frame.flags, frame.payload, plain, toPeer, err)) {
        owner_.logFlow(*this, "DRE: " + err);
        abort(codec::ResetReason::ProtocolError, "DreControl: " + err);
        return;
      }
      afterDecode(from, std::move(plain), toPeer);
      return;
    }
    case codec::FrameType::HalfClose:
      if (from.eofIn) {
        abort(codec::ResetReason::ProtocolError, "second HalfClose");
        return;
      }
      from.eofIn = true;
      if (codec_->decodePending() || (filter_ && !filter_->canFinishTowardsLocal())) {
        // Data before the half-close is still being decoded (waiting for re-sent chunks): the
        // far end may not see the FIN before it has every byte.
        from.halfCloseDeferred = true;
        return;
      }
      finishTowards(to);
      maybeFinish();
      return;
    case codec::FrameType::Reset: {
      uint16_t reason = 0;
      codec::decodeReset(frame.payload, reason);
      owner_.logFlow(*this, "peer reset the flow (reason " + std::to_string(reason) + ")");
      aborted_ = true;
      closeLeg(to, true);
      closeLeg(from, false);
      return;
    }
    case codec::FrameType::Hello: {
      codec::Hello hello;
      if (!codec::decodeHello(frame.payload, hello).ok() || !owner_.onHello(*this, hello)) {
        abort(codec::ResetReason::TupleMismatch, "Hello refused");
      }
      return;
    }
    case codec::FrameType::HelloAck: {
      codec::HelloAck ack;
      if (!codec::decodeHelloAck(frame.payload, ack).ok() || !owner_.onHelloAck(*this, ack)) {
        abort(codec::ResetReason::ProtocolError, "HelloAck refused");
        return;
      }
      if (from.awaitingConfirm) {
        // The core opened its side of WAN secure and accepted us: what the client sent so far
        // is the core's now.
        from.awaitingConfirm = false;
        unconfirmedClient_ = Bytes();
        if (pausedForConfirm_ && !to.pausedByPeer) {
          pausedForConfirm_ = false;
          startHeldReading(to);
        }
      }
      return;
    }
    case codec::FrameType::Keepalive:
      return;
  }
}

void Flow::afterDecode(Leg& from, Bytes&& plain, std::vector<codec::Frame>& toPeer) {
  Leg& to = other(from);
  for (auto& f : toPeer) {
    sendFrame(from.index, f.type, f.payload, f.flags);
  }
  if (!plain.empty() && !aborted_) {
    if (observer_) {
      observer_->onData(to.index == 1, plain);  // towards leg 1 = towards the server
    }
    if (filter_) {
      FlowFilter::Output out;
      filter_->onPeerData(plain, out);
      applyFilter(out, to);
      releaseDeferredEofs(to);
      return;
    }
    deliver(to, std::move(plain));
  }
  // A half-close that waited for this data can go now.
  if (from.halfCloseDeferred && !aborted_ && !codec_->decodePending() &&
      (!filter_ || filter_->canFinishTowardsLocal())) {
    from.halfCloseDeferred = false;
    finishTowards(to);
    maybeFinish();
  }
}

void Flow::onEof(Leg& from) {
  stopReading(from);
  if (readingFirstFlight_ && from.index == 0) {
    firstFlightEnded_ = true;  // carried out once the relay starts (startRelay)
    owner_.onFirstFlight(*this, firstFlight_, true);
    return;
  }
  from.tcpEof = true;
  if (from.kind == LegKind::Peer) {
    if (!from.eofIn || !from.shutdownOut) {
      // The peer connection ended before the flow did: the peer is lost. Both ends reset, so
      // nothing is taken for complete that was not (docs/ARCHITECTURE.md step 7).
      abort(codec::ResetReason::Unspecified, "peer connection lost mid-flow");
      return;
    }
    maybeFinish();
    return;
  }
  if (from.eofIn) {
    return;
  }
  from.eofIn = true;
  if (filter_) {
    FlowFilter::Output out;
    bool now = filter_->onLocalEof(out);
    applyFilter(out, from);
    if (!now) {
      from.eofDeferred = true;
      return;
    }
  }
  finishTowards(other(from));
  maybeFinish();
}

void Flow::handOffFilter(uint16_t reason, const std::string& why) {
  runFilter([&](FlowFilter& f, FlowFilter::Output& out) { f.requestHandOff(reason, why, out); });
}

void Flow::runFilter(const std::function<void(FlowFilter&, FlowFilter::Output&)>& step) {
  if (!filter_ || aborted_) {
    return;
  }
  Leg& raw = legs_[0].kind == LegKind::Raw ? legs_[0] : legs_[1];
  FlowFilter::Output out;
  step(*filter_, out);
  applyFilter(out, raw);
  releaseDeferredEofs(raw);
}

void Flow::applyFilter(FlowFilter::Output& out, Leg& raw) {
  if (aborted_) {
    return;
  }
  if (out.reset) {
    owner_.logFlow(*this, "accelerator: " + out.resetReason);
    abort(codec::ResetReason::ProtocolError, out.resetReason);
    return;
  }
  if (!out.toLocal.empty()) {
    info_.lanBytesWritten += out.toLocal.size();
    write(raw, std::move(out.toLocal));
  }
  Leg& peer = other(raw);
  size_t from = 0;
  for (size_t cut : out.peerCuts) {
    if (aborted_ || cut <= from || cut > out.toPeer.size()) {
      continue;
    }
    deliver(peer, ByteSpan(out.toPeer).subspan(from, cut - from));
    // End the codec's chunk here: the bytes after the cut start a chunk of their own.
    Bytes payload;
    uint16_t flags = 0;
    if (!aborted_) {
      codec_->flush(payload, flags);
      if (!payload.empty()) {
        sendFrame(peer.index, codec::FrameType::Data, payload, flags);
      }
    }
    from = cut;
  }
  if (from < out.toPeer.size() && !aborted_) {
    deliver(peer, ByteSpan(out.toPeer).subspan(from));
    if (out.flushPeer && !aborted_) {
      Bytes payload;
      uint16_t flags = 0;
      codec_->flush(payload, flags);
      if (!payload.empty()) {
        sendFrame(peer.index, codec::FrameType::Data, payload, flags);
      }
    }
  }
}

void Flow::releaseDeferredEofs(Leg& raw) {
  if (aborted_ || !filter_) {
    return;
  }
  Leg& peer = other(raw);
  if (raw.eofDeferred) {
    FlowFilter::Output out;
    bool now = filter_->onLocalEof(out);
    applyFilter(out, raw);
    if (now && !aborted_) {
      raw.eofDeferred = false;
      finishTowards(peer);
      maybeFinish();
    }
  }
  if (peer.halfCloseDeferred && !aborted_ && !codec_->decodePending() &&
      filter_->canFinishTowardsLocal()) {
    peer.halfCloseDeferred = false;
    finishTowards(raw);
    maybeFinish();
  }
}

void Flow::deliver(Leg& to, Bytes&& data) {
  if (to.kind != LegKind::Raw || to.tls || to.closing || to.shutdownOut) {
    deliver(to, ByteSpan(data));
    return;
  }
  info_.lanBytesWritten += data.size();
  writeOwnedRaw(to, std::move(data));
}

void Flow::deliver(Leg& to, ByteSpan data) {
  if (to.closing || to.shutdownOut) {
    abort(codec::ResetReason::ProtocolError, "data for a leg already closed");
    return;
  }
  if (to.kind == LegKind::Raw) {
    info_.lanBytesWritten += data.size();
    writeParts(to, data, {});
    return;
  }
  // Large reads are cut so no frame exceeds the peer's cap.
  const size_t kMaxChunk = 256 * 1024;
  for (size_t off = 0; off < data.size(); off += kMaxChunk) {
    ByteSpan piece = data.subspan(off, std::min(kMaxChunk, data.size() - off));
    Bytes payload;
    uint16_t flags = 0;
    codec_->encode(piece, payload, flags);
    if (!payload.empty()) {
      sendFrame(to.index, codec::FrameType::Data, payload, flags);
    }
  }
  if (codec_->holdsInput()) {
    owner_.requestFlush(*this);
  }
}

void Flow::flushCodec() {
  if (aborted_ || !codec_) {
    return;
  }
  for (Leg& l : legs_) {
    if (l.kind == LegKind::Peer && !l.shutdownOut && !l.closing) {
      // More of the burst already waits in the source socket: keep chunking it as one stream
      // (so the same data sent twice cuts the same way) and flush when the burst ends.
      Leg& src = other(l);
      int queued = 0;
      int fd = legFd(src.index);
      // Reads paused by back-pressure resume when the WAN drains: the burst is not over.
      if (src.pausedByPeer ||
          (src.reading && fd >= 0 && ioctl(fd, SIOCINQ, &queued) == 0 && queued > 0)) {
        owner_.requestFlush(*this);
        continue;
      }
      Bytes payload;
      uint16_t flags = 0;
      codec_->flush(payload, flags);
      if (!payload.empty()) {
        sendFrame(l.index, codec::FrameType::Data, payload, flags);
      }
    }
  }
}

void Flow::sendFrame(int i, codec::FrameType type, ByteSpan payload, uint16_t flags) {
  Leg& to = legs_[i];
  std::array<uint8_t, codec::kFrameHeaderLength> header;
  if (!encoder_.encodeHeader(type, flags, payload.size(), header)) {
    abort(codec::ResetReason::ProtocolError, "frame too large to encode");
    return;
  }
  info_.wanBytesWritten += header.size() + payload.size();
  writeParts(to, header, payload);
}

void Flow::writeParts(Leg& to, ByteSpan first, ByteSpan second) {
  if (to.tls) {
    if (to.closing || to.secureFailed || to.tls->phase() == SecureLeg::Phase::Failed) {
      return;  // the leg is dead; its failure is (being) handled
    }
    bool ok = to.tls->send(first) && to.tls->send(second);
    writeCiphertext(to);
    if (!ok) {
      onSecureFailed(to);
    }
    return;
  }
  writePartsRaw(to, first, second);
}

void Flow::writePartsRaw(Leg& to, ByteSpan first, ByteSpan second) {
  if (to.closing) {
    return;
  }
  // Nothing queued on the socket: hand the bytes to the kernel from where they are (the read
  // buffer, the codec's output); only what it does not take now is copied and queued.
  if (to.pendingWrite == 0) {
    uv_buf_t bufs[2] = {uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(first.data())),
                                    static_cast<unsigned>(first.size())),
                        uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(second.data())),
                                    static_cast<unsigned>(second.size()))};
    int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&to.tcp), bufs, second.empty() ? 1 : 2);
    if (n > 0) {
      size_t done = static_cast<size_t>(n);
      size_t fromFirst = std::min(done, first.size());
      first = first.subspan(fromFirst);
      second = second.subspan(done - fromFirst);
    } else if (n < 0 && n != UV_EAGAIN) {
      fail(to, n);
      return;
    }
  }
  if (first.empty() && second.empty()) {
    return;
  }
  Bytes rest;
  rest.reserve(first.size() + second.size());
  rest.insert(rest.end(), first.begin(), first.end());
  rest.insert(rest.end(), second.begin(), second.end());
  writeRaw(to, std::move(rest));
}

void Flow::writeOwnedRaw(Leg& to, Bytes&& data) {
  if (to.closing) {
    return;
  }
  // Sealed records and decoded DRE blocks (up to 5 MiB) are the flow's own buffers: copying
  // what the socket leaves of one into a fresh buffer cost a second allocation per block (the
  // bimodal bulk rate, proxy/wan_secure/README.md "Measured"). The buffer is queued from an
  // offset instead, held whole until written: one block beyond the high-water mark at most.
  size_t done = 0;
  if (to.pendingWrite == 0) {
    uv_buf_t b =
        uv_buf_init(reinterpret_cast<char*>(data.data()), static_cast<unsigned>(data.size()));
    int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&to.tcp), &b, 1);
    if (n > 0) {
      done = static_cast<size_t>(n);
    } else if (n < 0 && n != UV_EAGAIN) {
      fail(to, n);
      return;
    }
  }
  if (done < data.size()) {
    writeRaw(to, std::move(data), false, done);
  }
}

void Flow::write(Leg& to, Bytes&& data, bool closeAfter) {
  if (to.tls && !to.closing) {
    if (!data.empty() && to.tls->open()) {
      to.tls->send(data);
    }
    writeCiphertext(to, closeAfter);
    return;
  }
  writeRaw(to, std::move(data), closeAfter);
}

void Flow::writeRaw(Leg& to, Bytes&& data, bool closeAfter, size_t offset) {
  if (to.closing || data.size() <= offset) {
    if (closeAfter) {
      closeLeg(to, false);
    }
    return;
  }
  auto* req = new WriteReq;
  req->flow = this;
  req->leg = to.index;
  req->closeAfter = closeAfter;
  req->data = std::move(data);
  req->offset = offset;
  req->req.data = req;
  uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(req->data.data() + offset),
                           static_cast<unsigned>(req->queued()));
  to.pendingWrite += req->queued();
  int r = uv_write(&req->req, reinterpret_cast<uv_stream_t*>(&to.tcp), &b, 1, &Flow::onWrite);
  if (r != 0) {
    to.pendingWrite -= req->queued();
    delete req;
    fail(to, r);
    return;
  }
  if (to.pendingWrite > kHighWater) {
    Leg& src = other(to);
    if (src.reading) {
      stopReading(src);
      src.pausedByPeer = true;
    }
  }
}

void Flow::onWrite(uv_write_t* req, int status) {
  auto* w = static_cast<WriteReq*>(req->data);
  Flow* f = w->flow;
  Leg& to = f->legs_[w->leg];
  to.pendingWrite -= w->queued();
  bool closeAfter = w->closeAfter;
  delete w;
  if (closeAfter) {
    f->closeLeg(to, false);
    return;
  }
  if (status != 0) {
    if (status != UV_ECANCELED) {
      f->fail(to, status);
    }
    return;
  }
  Leg& src = f->other(to);
  if (src.pausedByPeer && to.pendingWrite < kLowWater) {
    src.pausedByPeer = false;
    f->releaseHeldFrames(src);
    if (f->aborted_) {
      return;
    }
    if (src.pausedByPeer) {
      f->maybeFinish();
      return;  // a held frame filled `to` again
    }
    f->startReading(src);
    if (src.tls && src.tls->plaintextWaiting()) {
      // Opened before the pause and never handed over: no read may come for it.
      f->onCiphertext(src, {});
      if (f->aborted_) {
        return;
      }
    }
  }
  if (to.pendingWrite == 0) {
    // E.g. a core flow that fell back to raw: pass-through from here on.
    f->maybeSplice();
  }
  f->maybeFinish();
}

void Flow::finishTowards(Leg& to) {
  if (to.shutdownOut || to.closing) {
    return;
  }
  if (to.kind == LegKind::Peer) {
    flushCodec();  // what the codec holds goes before the half-close
    to.shutdownOut = true;
    sendFrame(to.index, codec::FrameType::HalfClose, {});
    return;
  }
  to.shutdownOut = true;
  auto* req = new uv_shutdown_t;
  req->data = &to;
  to.pendingWrite += 1;  // the shutdown itself is outstanding until its callback
  if (uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&to.tcp), &Flow::onShutdown) != 0) {
    to.pendingWrite -= 1;
    delete req;
    fail(to, UV_EPIPE);
  }
}

void Flow::onShutdown(uv_shutdown_t* req, int status) {
  Leg& l = *static_cast<Leg*>(req->data);
  delete req;
  l.pendingWrite -= 1;
  if (status != 0 && status != UV_ECANCELED) {
    l.flow->fail(l, status);
    return;
  }
  l.flow->maybeFinish();
}

void Flow::maybeFinish() {
  if (aborted_) {
    return;
  }
  for (const Leg& l : legs_) {
    if (!l.eofIn || !l.shutdownOut || l.pendingWrite != 0) {
      return;
    }
  }
  // Both directions are complete and every byte has been handed to the kernel.
  aborted_ = true;  // nothing more may be sent
  for (Leg& l : legs_) {
    if (l.tls && l.tls->open() && !l.closing) {
      // close_notify (RFC 8446 section 6.1), best effort: the flow is complete either way.
      l.tls->close();
      Bytes c = l.tls->takeCiphertext();
      uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(c.data()), static_cast<unsigned>(c.size()));
      uv_try_write(reinterpret_cast<uv_stream_t*>(&l.tcp), &b, 1);
    }
  }
  for (Leg& l : legs_) {
    if (l.tls && l.reading && !l.tcpEof && l.tls->awaitingTicket()) {
      // The core sends a resumption's ticket once it has our Finished, a round trip after the
      // handshake: a short flow is complete before it comes, and closing now would lose it and
      // cost the next flow to this core its 0-RTT (secure/README.md "Resumption and early
      // data"). The core closes its side once it has our HalfClose, which follows our
      // Finished, so this lasts at most about a round trip.
      l.lingering = true;
      continue;
    }
    closeLeg(l, false);
  }
}

void Flow::readLingering(Leg& l, ssize_t n, ByteSpan data) {
  if (n > 0) {
    Bytes plain;  // the flow is complete: nothing more is relayed
    l.tls->receive(data, plain);
    if (l.tls->awaitingTicket()) {
      return;
    }
  }
  closeLeg(l, n < 0 && n != UV_EOF);
}

void Flow::fail(Leg& from, int err) {
  if (aborted_) {
    closeLeg(from, true);
    return;
  }
  if (from.tls && !from.secureFailed && !from.closing &&
      (from.awaitingConfirm || from.awaitingHello)) {
    // A secured leg lost before it was confirmed: a WAN secure failure like any other, which
    // the owner can still hand off (nothing crossed it that is not kept).
    from.tls->fail(secure::TlsFailure::TruncatedRecord,
                   std::string("the leg failed during the handshake (") + uv_err_name(err) + ")");
    onSecureFailed(from);
    return;
  }
  uint16_t reason = from.kind == LegKind::Raw
                        ? (from.index == 0 && !info_.coreSide ? codec::ResetReason::ClientReset
                                                              : codec::ResetReason::ServerReset)
                        : codec::ResetReason::Unspecified;
  abort(reason, std::string(uv_err_name(err)) + " on leg " + std::to_string(from.index));
}

void Flow::abort(uint16_t reason, const std::string& why) {
  if (aborted_) {
    for (Leg& l : legs_) {
      if (l.lingering) {
        closeLeg(l, true);  // complete, waiting only for a ticket (maybeFinish)
      }
    }
    return;
  }
  aborted_ = true;
  owner_.logFlow(*this, "reset: " + why);
  for (Leg& l : legs_) {
    if (l.kind == LegKind::Peer && relaying_ && l.connected && !l.closing) {
      stopReading(l);
      Bytes payload;
      codec::encodeReset(reason, payload);
      Bytes out;
      encoder_.encode(codec::FrameType::Reset, 0, payload, out);
      // A secured leg that never opened gets what TLS has for it (an alert), then its FIN.
      write(l, std::move(out), /*closeAfter=*/true);
    } else {
      closeLeg(l, true);
    }
  }
}

void Flow::closeLeg(Leg& l, bool reset) {
  if (l.closing) {
    return;
  }
  l.closing = true;
  stopReading(l);
  // Every leg resets on close from the start (sockets.h setResetOnClose); only a close the
  // flow chose as graceful (both directions done, or a peer leg after its Reset frame) sends
  // FIN.
  if (int fd = legFd(l.index); fd >= 0) {
    if (reset) {
      setResetOnClose(fd);
    } else {
      clearResetOnClose(fd);
    }
  }
  if (splice_) {
    splice_->close();  // its duplicate descriptors go first: the close below is the last one
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&l.tcp), &Flow::onClose);
}

void Flow::onClose(uv_handle_t* h) {
  Leg& l = *static_cast<Leg*>(h->data);
  Flow* f = l.flow;
  if (l.index == 1 && f->droppingOutbound_ && !f->aborted_) {
    f->droppingOutbound_ = false;
    f->renewOutboundLeg();
    f->owner_.onOutboundDropped(*f);
    return;
  }
  l.closed = true;
  if (f->legs_[0].closed && f->legs_[1].closed && !f->notifiedClosed_) {
    f->notifiedClosed_ = true;
    f->owner_.onFlowClosed(*f);  // the owner deletes the flow
  }
}

size_t Flow::bufferedBytes() const {
  size_t n = 0;
  for (const Leg& l : legs_) {
    n += l.pendingWrite + l.heldFrameBytes + (l.decoder ? l.decoder->bufferedBytes() : 0) +
         (l.tls ? l.tls->bufferedBytes() : 0);
  }
  return n + unconfirmedClient_.size() + (codec_ ? codec_->bufferedBytes() : 0) +
         (filter_ ? filter_->bufferedBytes() : 0) + (splice_ ? splice_->bufferedBytes() : 0);
}

}  // namespace bh::proxy
