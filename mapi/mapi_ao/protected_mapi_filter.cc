#include "mapi/mapi_ao/protected_mapi_filter.h"

#include <string.h>

#include <deque>
#include <vector>

#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/mapi_ao/hand_off_reason.h"
#include "mapi/mapi_ao/pdu_splitter.h"
#include "mapi/mapi_ao/protection_frame.h"

namespace bh::mapi::mapi_ao {

namespace {

using accel::FlowFilter;
using dcerpc::PType;
using dcerpc::Sender;
using Output = FlowFilter::Output;

uint16_t authLengthOf(ByteSpan pdu) {
  if (pdu.size() < dcerpc::kHeaderSize) {
    return 0;
  }
  const bool little = (pdu[4] & 0x10) != 0;
  return little ? static_cast<uint16_t>(pdu[10] | (pdu[11] << 8))
                : static_cast<uint16_t>((pdu[10] << 8) | pdu[11]);
}

bool isBindLeg(PType t) {
  return t == PType::Bind || t == PType::BindAck || t == PType::BindNak ||
         t == PType::AlterContext || t == PType::AlterContextResp || t == PType::Auth3;
}

/// The inner filter's output goes on: its peer bytes as one Inner frame (the data codec's cuts
/// moved with them), its reset; its local bytes are the caller's (they may need sealing).
void wrapInnerOutput(Output& inner, Output& out) {
  if (!inner.toPeer.empty()) {
    encodeInnerHeader(inner.toPeer.size(), out.toPeer);
    const size_t base = out.toPeer.size();
    out.peerCuts.push_back(base);
    out.toPeer.insert(out.toPeer.end(), inner.toPeer.begin(), inner.toPeer.end());
    for (size_t c : inner.peerCuts) {
      out.peerCuts.push_back(base + c);
    }
  }
  out.flushPeer = out.flushPeer || inner.flushPeer;
  if (inner.reset && !out.reset) {
    out.reset = true;
    out.resetReason = inner.resetReason;
  }
}

void fail(Output& out, std::string why) {
  if (!out.reset) {
    out.reset = true;
    out.resetReason = std::move(why);
  }
}

/// What both layers share: the inner half, the association, the splitting of the two streams
/// that pass through, the verbatim rule.
class LayerBase : public ProtectedMapiFilter {
 public:
  LayerBase(std::unique_ptr<FlowFilter> inner, ProtectionProvider* provider,
            std::unique_ptr<ProtectionEvents> events, Sender local)
      : inner_(std::move(inner)), provider_(provider), events_(std::move(events)), local_(local) {}

  FlowFilter& inner() override { return *inner_; }
  const FlowFilter& inner() const override { return *inner_; }
  std::string protection() const override {
    return assoc_ && assoc_->established() ? assoc_->describe() : std::string();
  }
  void runInner(const std::function<void(FlowFilter&, Output&)>& step, Output& out) override {
    Output o;
    step(*inner_, o);
    carry(o, out);
  }
  bool canFinishTowardsLocal() const override {
    return inner_->canFinishTowardsLocal() && fromInner_.bufferedBytes() == 0;
  }
  size_t bufferedBytes() const override {
    return inner_->bufferedBytes() + fromLocal_.bufferedBytes() + fromInner_.bufferedBytes() +
           reader_.bufferedBytes() + heldBytes_;
  }
  void requestHandOff(uint16_t reason, const std::string& why, Output& out) override {
    runInner([&](FlowFilter& f, Output& o) { f.requestHandOff(reason, why, o); }, out);
  }
  bool onLocalEof(Output& out) override {
    if (heldBytes_ > 0) {
      return false;  // asked again after the next step
    }
    if (mode_ != Mode::Unprotected && fromLocal_.bufferedBytes() > 0) {
      if (mode_ == Mode::Protected) {
        fail(out, "the stream ended inside a protected PDU");
        return true;
      }
      Bytes rest = fromLocal_.takeRest();
      toInnerLocal(rest, out);
    }
    bool now = true;
    runInner([&](FlowFilter& f, Output& o) { now = f.onLocalEof(o); }, out);
    return now;
  }

  void onLocalData(ByteSpan data, Output& out) override {
    if (mode_ == Mode::Unprotected) {
      toInnerLocal(data, out);
      return;
    }
    std::vector<Bytes> pdus;
    ParseResult r = fromLocal_.feed(data, pdus);
    for (Bytes& p : pdus) {
      if (out.reset) {
        return;
      }
      onLocalPdu(std::move(p), out);
    }
    if (!r.ok() && !out.reset) {
      if (mode_ == Mode::Protected || mode_ == Mode::WaitingForSecure) {
        fail(out, "a PDU of the protected association does not frame: " + r.error);
        return;
      }
      // Not ours to judge: the half reads it and hands the flow off as it does for any stream.
      mode_ = Mode::Unprotected;
      Bytes rest = fromLocal_.takeRest();
      toInnerLocal(rest, out);
    }
  }

  void onPeerData(ByteSpan data, Output& out) override {
    size_t pos = 0;
    while (!out.reset) {
      ProtectionFrameReader::Item item;
      ParseResult r = reader_.next(data, pos, item);
      if (r.status == ParseStatus::NeedMore) {
        return;
      }
      if (!r.ok()) {
        fail(out, r.error);
        return;
      }
      switch (item.type) {
        case ProtectionFrameType::Inner:
          runInner([&](FlowFilter& f, Output& o) { f.onPeerData(item.body, o); }, out);
          break;
        case ProtectionFrameType::Verbatim:
          onPeerVerbatim(item.body, out);
          break;
        default:
          onPeerFrame(item.type, item.body, out);
          break;
      }
    }
  }

 protected:
  enum class Mode {
    Clear,             ///< nothing protected seen: bytes pass, split into PDUs
    AwaitingContext,   ///< edge: the client's protected bind went to the core
    Opening,           ///< core: bind opened, waiting for the server's bind_ack
    WaitingForSecure,  ///< core: keys known, the peer leg not yet confirmed
    Protected,         ///< the association is open: unwrap and seal
    Unprotected,       ///< handed off untouched: bytes pass
  };

  Sender peerSender() const { return local_ == Sender::Client ? Sender::Server : Sender::Client; }

  /// Bytes for the half from this layer's side.
  void toInnerLocal(ByteSpan bytes, Output& out) {
    runInner([&](FlowFilter& f, Output& o) { f.onLocalData(bytes, o); }, out);
  }

  /// The inner half's output: peer bytes framed, local bytes sealed where the association is
  /// open.
  void carry(Output& o, Output& out) {
    wrapInnerOutput(o, out);
    if (out.reset || o.toLocal.empty()) {
      return;
    }
    if (mode_ == Mode::Unprotected) {
      out.toLocal.insert(out.toLocal.end(), o.toLocal.begin(), o.toLocal.end());
      return;
    }
    std::vector<Bytes> pdus;
    ParseResult r = fromInner_.feed(o.toLocal, pdus);
    for (Bytes& p : pdus) {
      if (out.reset) {
        return;
      }
      onInnerLocalPdu(std::move(p), out);
    }
    if (!r.ok() && !out.reset) {
      if (mode_ == Mode::Protected) {
        fail(out, "the accelerator's output does not frame: " + r.error);
        return;
      }
      Bytes rest = fromInner_.takeRest();
      out.toLocal.insert(out.toLocal.end(), rest.begin(), rest.end());
      mode_ = Mode::Unprotected;
    }
  }

  /// A plain PDU the half sends to this layer's side (on behalf of the peer's sender).
  void sealToLocal(const Bytes& plain, Output& out) {
    Bytes sealed;
    if (!assoc_->seal(peerSender(), plain, sealed)) {
      fail(out, "could not seal a " + std::string(dcerpc::ptypeName(dcerpc::ptypeOf(plain))) +
                    " for the protected association");
      return;
    }
    events_->onPdusSealed(1);
    out.toLocal.insert(out.toLocal.end(), sealed.begin(), sealed.end());
  }

  /// A protected PDU from this layer's side that does not open: relayed verbatim when the
  /// other side has renumbered nothing, so its receiver sees exactly what was sent (and refuses
  /// it as it should); otherwise the flow is reset. Never repaired.
  void refuse(const Bytes& pdu, const std::string& why, Output& out) {
    if (inner_->bufferedBytes() != 0 || heldBytes_ != 0) {
      events_->onVerbatim(local_, why, true);
      fail(out, "a protected PDU that does not open (" + why +
                    ") while the accelerator holds data: reset rather than reorder it");
      return;
    }
    // The halves stop reading this connection; the layers keep relaying (and numbering).
    requestHandOff(static_cast<uint16_t>(HandOffReason::Other),
                   "a protected PDU that does not open (" + why + ") goes on verbatim", out);
    encodeProtectionFrame(ProtectionFrameType::Verbatim,
                          encodeVerbatim(assoc_->nextReceived(local_), pdu), out.toPeer);
    out.flushPeer = true;
    events_->onVerbatim(local_, why, false);
  }

  /// The other layer could not open a PDU of its side and sent it verbatim.
  void onPeerVerbatim(ByteSpan body, Output& out) {
    uint64_t due = 0;
    ByteSpan pdu;
    if (!decodeVerbatim(body, due, pdu) || !assoc_) {
      fail(out, "a Verbatim frame outside a protected association");
      return;
    }
    if (assoc_->nextSent(peerSender()) != due || inner_->bufferedBytes() != 0) {
      events_->onVerbatim(peerSender(), "renumbered already", true);
      fail(out, "a protected PDU that does not open, after this side was renumbered (" +
                    std::to_string(assoc_->nextSent(peerSender())) + " sent, " +
                    std::to_string(due) + " due): reset rather than relay a wrong number");
      return;
    }
    requestHandOff(static_cast<uint16_t>(HandOffReason::Other),
                   "the peer relayed a protected PDU that does not open", out);
    out.toLocal.insert(out.toLocal.end(), pdu.begin(), pdu.end());
  }

  /// A request/response from this layer's side once the association is open.
  void openFromLocal(Bytes pdu, Output& out) {
    const PType t = dcerpc::ptypeOf(pdu);
    const uint16_t authLen = authLengthOf(pdu);
    if (isBindLeg(t)) {
      if (authLen == 0) {
        toInnerLocal(pdu, out);
        return;
      }
      ParseResult r = assoc_->observeBindLeg(local_, pdu);
      if (!r.ok()) {
        refuse(pdu, r.error, out);
        return;
      }
      toInnerLocal(pdu, out);
      return;
    }
    if (t != (local_ == Sender::Client ? PType::Request : PType::Response)) {
      if (authLen == 0) {
        toInnerLocal(pdu, out);  // a fault, co_cancel, orphaned, shutdown in the clear
      } else {
        refuse(pdu, std::string("a protected ") + dcerpc::ptypeName(t) + " is not read", out);
      }
      return;
    }
    if (!assoc_->established()) {
      refuse(pdu, "a call before the bind's last leg", out);
      return;
    }
    Bytes plain;
    ParseResult r = assoc_->unwrap(local_, pdu, plain);
    if (!r.ok()) {
      refuse(pdu, r.error, out);
      return;
    }
    events_->onPdusOpened(1);
    toInnerLocal(plain, out);
  }

  /// A PDU of this side outside the opening steps: held while the context or the leg's
  /// confirmation is awaited, opened once the association is, else passed as it is.
  void routeLocal(Bytes pdu, Output& out) {
    if (mode_ == Mode::AwaitingContext || mode_ == Mode::WaitingForSecure) {
      hold(std::move(pdu), out);
    } else if (mode_ == Mode::Protected) {
      openFromLocal(std::move(pdu), out);
    } else {
      toInnerLocal(pdu, out);
    }
  }

  /// A PDU the half sends to this layer's side once the association is open.
  void sealToLocalPdu(Bytes pdu, Output& out) {
    const PType t = dcerpc::ptypeOf(pdu);
    if (authLengthOf(pdu) != 0 || isBindLeg(t)) {
      // Bind legs pass as they are (observed by observePassingLeg); a PDU the half relays with
      // its protection on is a verbatim one of the other side.
      observePassingLeg(pdu, out);
      if (!out.reset) {
        out.toLocal.insert(out.toLocal.end(), pdu.begin(), pdu.end());
      }
      return;
    }
    if (t == PType::Request || t == PType::Response) {
      sealToLocal(pdu, out);
      return;
    }
    out.toLocal.insert(out.toLocal.end(), pdu.begin(), pdu.end());
  }

  virtual void onLocalPdu(Bytes pdu, Output& out) = 0;
  virtual void onInnerLocalPdu(Bytes pdu, Output& out) = 0;
  virtual void onPeerFrame(ProtectionFrameType type, ByteSpan body, Output& out) = 0;
  /// A bind leg of the peer's side passing to this layer's side.
  virtual void observePassingLeg(const Bytes& pdu, Output& out) = 0;

  std::unique_ptr<FlowFilter> inner_;
  ProtectionProvider* provider_;
  std::unique_ptr<ProtectionEvents> events_;
  Sender local_;
  Mode mode_ = Mode::Clear;
  std::unique_ptr<ProtectedAssociation> assoc_;
  PduSplitter fromLocal_;  ///< this side's stream, cut into PDUs
  PduSplitter fromInner_;  ///< the half's output to this side, cut into PDUs
  ProtectionFrameReader reader_;
  std::deque<Bytes> held_;
  size_t heldBytes_ = 0;

  bool hold(Bytes pdu, Output& out) {
    if (heldBytes_ + pdu.size() > kMaxHeldBytes) {
      fail(out, "more than " + std::to_string(kMaxHeldBytes) +
                    " bytes held while the protected association was being opened");
      return false;
    }
    heldBytes_ += pdu.size();
    held_.push_back(std::move(pdu));
    return true;
  }
  std::deque<Bytes> takeHeld() {
    std::deque<Bytes> h = std::move(held_);
    held_.clear();
    heldBytes_ = 0;
    return h;
  }
};

// ---- edge ----------------------------------------------------------------------------------

class EdgeLayer final : public LayerBase {
 public:
  EdgeLayer(std::unique_ptr<FlowFilter> inner, ProtectionProvider* provider,
            std::unique_ptr<ProtectionEvents> events)
      : LayerBase(std::move(inner), provider, std::move(events), Sender::Client) {}

 private:
  void onLocalPdu(Bytes pdu, Output& out) override {
    switch (mode_) {
      case Mode::Clear:
        if (provider_ != nullptr && isProtectedKerberosBind(pdu)) {
          // The core opens it (it has the service key) and answers with the context or why not.
          mode_ = Mode::AwaitingContext;
          events_->onProtectedBind();
          encodeProtectionFrame(ProtectionFrameType::OpenRequest, {}, out.toPeer);
        }
        toInnerLocal(pdu, out);
        return;
      default:
        // AwaitingContext: the client goes on before the bind_ack (and with it the context)
        // reached it: not DCE/RPC's order, but nothing is lost: held until the core decides.
        routeLocal(std::move(pdu), out);
        return;
    }
  }

  void onInnerLocalPdu(Bytes pdu, Output& out) override {
    if (mode_ != Mode::Protected) {
      out.toLocal.insert(out.toLocal.end(), pdu.begin(), pdu.end());
      return;
    }
    sealToLocalPdu(std::move(pdu), out);
  }

  void observePassingLeg(const Bytes& pdu, Output& out) override {
    // The core read the bind_ack before it exported the context; alter_context_resp (SPNEGO's
    // last leg) is the edge's to read.
    if (dcerpc::ptypeOf(pdu) != PType::AlterContextResp || authLengthOf(pdu) == 0) {
      return;
    }
    ParseResult r = assoc_->observeBindLeg(Sender::Server, pdu);
    if (!r.ok()) {
      fail(out, "the server's alter_context_resp does not complete the association: " + r.error);
    }
  }

  void onPeerFrame(ProtectionFrameType type, ByteSpan body, Output& out) override {
    if (mode_ != Mode::AwaitingContext) {
      fail(out, "a protection frame the edge did not wait for");
      return;
    }
    if (type == ProtectionFrameType::Context) {
      std::string why;
      assoc_ = provider_->importContext(body, why);
      if (!assoc_) {
        fail(out, "the core's context does not import: " + why);
        return;
      }
      mode_ = Mode::Protected;
      events_->onProtectedOpened(assoc_->describe());
      for (Bytes& p : takeHeld()) {
        if (out.reset) {
          return;
        }
        openFromLocal(std::move(p), out);
      }
      return;
    }
    // Unopened: the halves hand the flow off, and every byte goes on untouched.
    std::string why(body.begin(), body.end());
    mode_ = Mode::Unprotected;
    requestHandOff(static_cast<uint16_t>(HandOffReason::Encrypted), why, out);
    for (Bytes& p : takeHeld()) {
      toInnerLocal(p, out);
    }
  }
};

// ---- core ----------------------------------------------------------------------------------

class CoreLayer final : public LayerBase {
 public:
  CoreLayer(std::unique_ptr<FlowFilter> inner, ProtectionProvider* provider,
            std::unique_ptr<ProtectionEvents> events)
      : LayerBase(std::move(inner), provider, std::move(events), Sender::Server) {}

  void onPeerLegSecured(Output& out) override {
    if (mode_ == Mode::WaitingForSecure) {
      sendContext(out);
      for (Bytes& p : takeHeld()) {
        if (out.reset) {
          return;
        }
        if (isBindLeg(dcerpc::ptypeOf(p))) {
          toInnerLocal(p, out);
        } else {
          openFromLocal(std::move(p), out);
        }
      }
    }
  }

 private:
  /// The server's side.
  void onLocalPdu(Bytes pdu, Output& out) override {
    switch (mode_) {
      case Mode::Opening: {
        const PType t = dcerpc::ptypeOf(pdu);
        if (t != PType::BindAck && t != PType::BindNak) {
          toInnerLocal(pdu, out);
          return;
        }
        ParseResult r = assoc_->observeBindLeg(Sender::Server, pdu);
        if (!r.ok()) {
          unopened(t == PType::BindNak ? "the server refused the bind"
                                       : "the server's bind_ack does not open: " + r.error,
                   out);
          toInnerLocal(pdu, out);
          return;
        }
        if (events_->peerLegSecured()) {
          sendContext(out);
          toInnerLocal(pdu, out);
        } else if (events_->peerLegSecuring()) {
          // A resumed leg's early data brought the bind before the edge's Finished: the keys
          // wait (with the bind_ack) until the leg is confirmed (onPeerLegSecured).
          mode_ = Mode::WaitingForSecure;
          hold(std::move(pdu), out);
        } else {
          const std::string why = events_->peerLegClearReason();
          unopened("WAN secure is off for this flow's peer leg" +
                       (why.empty() ? std::string() : " (" + why + ")") +
                       ": the keys go to the edge only over WAN secure (set "
                       "wan_secure.mode.mapi to auto or always on edge and core, and clear "
                       "the handshake failure a failed leg names)",
                   out);
          toInnerLocal(pdu, out);
        }
        return;
      }
      default:
        routeLocal(std::move(pdu), out);
        return;
    }
  }

  /// The client's PDUs as the core half sends them to the server.
  void onInnerLocalPdu(Bytes pdu, Output& out) override {
    if (mode_ == Mode::Clear && openRequested_ && isProtectedKerberosBind(pdu)) {
      openRequested_ = false;
      std::string why = "eMAPI is not available on this core (no encryption service)";
      if (provider_ != nullptr) {
        assoc_ = provider_->openBind(pdu, why);
      }
      if (!assoc_) {
        out.toLocal.insert(out.toLocal.end(), pdu.begin(), pdu.end());
        unopened(why, out);
        return;
      }
      mode_ = Mode::Opening;
      out.toLocal.insert(out.toLocal.end(), pdu.begin(), pdu.end());
      return;
    }
    if (mode_ == Mode::Protected) {
      sealToLocalPdu(std::move(pdu), out);
      return;
    }
    if (mode_ == Mode::Opening || mode_ == Mode::WaitingForSecure) {
      if (authLengthOf(pdu) == 0 && !isBindLeg(dcerpc::ptypeOf(pdu))) {
        out.toLocal.insert(out.toLocal.end(), pdu.begin(), pdu.end());
        return;
      }
      fail(out, std::string("a protected ") + dcerpc::ptypeName(dcerpc::ptypeOf(pdu)) +
                    " from the client before the server's bind_ack");
      return;
    }
    out.toLocal.insert(out.toLocal.end(), pdu.begin(), pdu.end());
  }

  void observePassingLeg(const Bytes& pdu, Output& out) override {
    // rpc_auth_3 / alter_context: the client's last legs, read on their way to the server.
    if (authLengthOf(pdu) == 0 || !isBindLeg(dcerpc::ptypeOf(pdu))) {
      fail(out, "a protected client PDU the core half relayed unopened");
      return;
    }
    ParseResult r = assoc_->observeBindLeg(Sender::Client, pdu);
    if (!r.ok()) {
      fail(out, "the client's " + std::string(dcerpc::ptypeName(dcerpc::ptypeOf(pdu))) +
                    " does not complete the association: " + r.error);
    }
  }

  void onPeerFrame(ProtectionFrameType type, ByteSpan body, Output& out) override {
    (void)body;
    if (type == ProtectionFrameType::OpenRequest && mode_ == Mode::Clear) {
      openRequested_ = true;
      return;
    }
    fail(out, "the edge sent a frame the core does not take here");
  }

  bool openRequested_ = false;

  void sendContext(Output& out) {
    Bytes context = assoc_->exportContext();
    encodeProtectionFrame(ProtectionFrameType::Context, context, out.toPeer);
    // The keys: this copy goes now (the frame's goes with the peer leg's TLS record).
    explicit_bzero(context.data(), context.size());
    out.flushPeer = true;
    mode_ = Mode::Protected;
  }

  void unopened(const std::string& why, Output& out) {
    assoc_.reset();
    mode_ = Mode::Unprotected;
    std::string text = why.substr(0, kMaxUnopenedFrame);
    encodeProtectionFrame(ProtectionFrameType::Unopened,
                          ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
                          out.toPeer);
    out.flushPeer = true;
    requestHandOff(static_cast<uint16_t>(HandOffReason::Encrypted), why, out);
  }
};

}  // namespace

bool isProtectedKerberosBind(ByteSpan pdu) {
  const PType t = dcerpc::ptypeOf(pdu);
  if (t != PType::Bind && t != PType::AlterContext) {
    return false;
  }
  const size_t authLen = authLengthOf(pdu);
  if (authLen == 0 || pdu.size() < dcerpc::kHeaderSize + dcerpc::kSecTrailerSize + authLen) {
    return false;
  }
  const size_t at = pdu.size() - authLen - dcerpc::kSecTrailerSize;
  const auto type = static_cast<dcerpc::AuthType>(pdu[at]);
  const auto level = static_cast<dcerpc::AuthLevel>(pdu[at + 1]);
  return (type == dcerpc::AuthType::Kerberos || type == dcerpc::AuthType::Spnego) &&
         level >= dcerpc::AuthLevel::PktIntegrity;
}

std::unique_ptr<ProtectedMapiFilter> makeProtectedEdgeFilter(
    std::unique_ptr<FlowFilter> inner, ProtectionProvider* provider,
    std::unique_ptr<ProtectionEvents> events) {
  return std::make_unique<EdgeLayer>(std::move(inner), provider, std::move(events));
}

std::unique_ptr<ProtectedMapiFilter> makeProtectedCoreFilter(
    std::unique_ptr<FlowFilter> inner, ProtectionProvider* provider,
    std::unique_ptr<ProtectionEvents> events) {
  return std::make_unique<CoreLayer>(std::move(inner), provider, std::move(events));
}

}  // namespace bh::mapi::mapi_ao
