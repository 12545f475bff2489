#include "proxy/flow_manager.h"

#include <algorithm>
#include <ctime>

#include "proxy/codec/peer_messages.h"
#include "proxy/log.h"
#include "proxy/sockets.h"
#include "proxy/transaction_log.h"
#include "redirect/interception.h"
#include "secure/tls_failure.h"

namespace bh::proxy {

namespace {

policy::FlowKey flowKeyOf(const FlowInfo& f) {
  return {f.client.ip, f.server.ip, f.client.port, f.server.port};
}

codec::FlowTuple tupleOf(const FlowInfo& f) {
  codec::FlowTuple t;
  t.ipVersion = f.client.ip.isV4() ? 4 : 6;
  std::copy(f.client.ip.bytes().begin(), f.client.ip.bytes().end(), t.clientIp.begin());
  std::copy(f.server.ip.bytes().begin(), f.server.ip.bytes().end(), t.serverIp.begin());
  t.clientPort = f.client.port;
  t.serverPort = f.server.port;
  return t;
}

uint8_t configuredBits(const policy::Decision& d) {
  uint8_t bits = 0;
  if (policy::usesTfo(d.action)) {
    bits |= codec::PolicyBits::TcpOptimize;
  }
  if (policy::usesDre(d.action)) {
    bits |= codec::PolicyBits::Dre;
  }
  if (policy::usesLz(d.action)) {
    bits |= codec::PolicyBits::Lz;
  }
  return bits;
}

}  // namespace

FlowManager::FlowManager(uv_loop_t* loop, Settings settings, const policy::PolicyHolder& policy,
                         policy::DynamicRules& dynamicRules, GenericAccelerator& generic,
                         DiscoveryTable& edgeTable, DiscoveryTable& coreTable)
    : loop_(loop),
      settings_(std::move(settings)),
      policy_(policy),
      dynamicRules_(dynamicRules),
      generic_(generic),
      edgeTable_(edgeTable),
      coreTable_(coreTable),
      limiter_(policy.current()->config().limits),
      budget_(memoryBudgetLimitsOf(policy.current()->config().limits, machineMemoryBytes())) {
  // Above the budget's high watermark new flows are not optimized (proxy/memory_budget.h).
  flows_.setAdmissionHook([this](const FlowInfo&) { return budget_.admitOptimized(); });
}

void FlowManager::setLimits(const policy::Limits& limits) {
  limiter_.setLimits(limits);
  budget_.setLimits(memoryBudgetLimitsOf(limits, machineMemoryBytes()));
}

bool FlowManager::isEdge() const {
  return settings_.role == policy::DeviceRole::Edge || settings_.role == policy::DeviceRole::Both;
}
bool FlowManager::isCore() const {
  return settings_.role == policy::DeviceRole::Core || settings_.role == policy::DeviceRole::Both;
}

void FlowManager::registerAccelerator(policy::Accelerator which, codec::Accelerator wireId,
                                      accel::Accelerator& accelerator) {
  accelerators_[which] = {&accelerator, wireId};
}

void FlowManager::start() {
  flushTimer_ = new uv_timer_t;
  uv_timer_init(loop_, flushTimer_);
  flushTimer_->data = this;
  wakeTimer_ = new uv_timer_t;
  uv_timer_init(loop_, wakeTimer_);
  wakeTimer_->data = this;
  budgetTimer_ = new uv_timer_t;
  uv_timer_init(loop_, budgetTimer_);
  budgetTimer_->data = this;
  fallbackTimer_ = new uv_timer_t;
  uv_timer_init(loop_, fallbackTimer_);
  fallbackTimer_->data = this;
  uv_timer_start(
      budgetTimer_, [](uv_timer_t* t) { static_cast<FlowManager*>(t->data)->onBudgetTimer(); },
      kBudgetSampleMs, kBudgetSampleMs);
}

void FlowManager::onBudgetTimer() {
  if (!firstFlights_.empty()) {
    expireFirstFlights(uv_hrtime());
  }
  const auto before = budget_.state();
  const auto reset = budget_.sample(flows_.usage());
  if (budget_.state() != before) {
    logInfo(std::string("memory budget: ") + memoryBudgetStateName(budget_.state()) + ", " +
            std::to_string(budget_.counters().inUseBytes) + " of " +
            std::to_string(budget_.limits().budgetBytes) + " bytes buffered" +
            (budget_.state() == MemoryBudget::State::Pressure
                 ? " (new flows pass through until use falls below the low watermark)"
                 : ""));
  }
  for (uint64_t id : reset) {
    if (Flow* f = flows_.flow(id)) {
      logFlow(*f, "reset: it held " + std::to_string(f->bufferedBytes()) +
                      " bytes with the box over its memory budget of " +
                      std::to_string(budget_.limits().budgetBytes) + " bytes");
      flows_.reset(id, codec::ResetReason::Overload, "memory budget exceeded");
    }
  }
}

void FlowManager::stop() {
  stopping_ = true;
  for (uv_timer_t** t : {&flushTimer_, &wakeTimer_, &budgetTimer_, &fallbackTimer_}) {
    if (*t != nullptr) {
      uv_close(reinterpret_cast<uv_handle_t*>(*t),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
      *t = nullptr;
    }
  }
}

void FlowManager::resetAll() {
  for (uint64_t id : flows_.ids()) {
    flows_.reset(id, codec::ResetReason::Unspecified, "daemon stopping");
  }
}

bool FlowManager::resetRedirectLoop(const policy::FlowKey& flow) {
  std::vector<uint64_t> looped;
  flows_.forEach([&](Flow& f) {
    if (!f.info().coreSide && !f.outboundConnected() && flowKeyOf(f.info()) == flow) {
      looped.push_back(f.info().connId);
    }
  });
  for (uint64_t id : looped) {
    if (Flow* f = flows_.flow(id)) {
      f->abort(codec::ResetReason::Unspecified,
               "redirect loop: the outbound leg's own SYN came back in (show wccp status)");
    }
  }
  return !looped.empty();
}

uint8_t FlowManager::answerPeerSyn(const policy::FlowKey& flow, uint8_t requested,
                                   DiscoveryEntry& entry) {
  // An edge's SYN: the route our SYN-ACK and the whole accepted peer leg take back to it must
  // carry the initial window before the kernel answers (after this verdict).
  preparePeerRoute(flow.src);
  // The flow's one classification: the answer says what the accepted flow will do.
  entry.decision = policy_.current()->classify(flow, &dynamicRules_);
  // What WAN secure does on the leg: this core's mode against the edge's (leg_security.h).
  std::string whyOff;
  policy::WanSecureMode mode = policy::WanSecureMode::Never;
  if (secure_ == nullptr) {
    whyOff = "WAN secure is not part of this box";
  } else if (policy::usesTfo(entry.decision->action)) {
    mode = secure_->offeredMode(entry.decision->accelerator, &whyOff);
  }
  CoreAnswer answer = answerEdge(entry.peerOption ? entry.peerOption->flags : 0, mode);
  if (answer.decision.outcome == LegSecurity::Clear && !whyOff.empty()) {
    answer.decision.why = whyOff;
  }
  entry.secureFlags = answer.flags;
  entry.security = std::move(answer.decision);
  uint8_t bits = configuredBits(*entry.decision);
  return codec::negotiate(bits, bits, requested, generic_.localLimits()).applied;
}

uint32_t FlowManager::wanBandwidthKbit() const {
  return settings_.wanBandwidthKbit.value_or(policy_.current()->config().peering.wanBandwidthKbit);
}

void FlowManager::tunePeerLegOf(Flow& flow, int leg) {
  const std::string& cc = policy_.current()->config().peering.congestionControl;
  if (!tunePeerLeg(flow.legFd(leg), cc, wanBandwidthKbit()) && !congestionControlWarned_) {
    congestionControlWarned_ = true;
    logError("cannot use congestion control '" + cc + "' on peer legs (see " +
             "/proc/sys/net/ipv4/tcp_available_congestion_control); the kernel's default applies");
  }
}

void FlowManager::preparePeerRoute(const IpAddress& peer) {
  if (!peerRoutes_) {
    return;
  }
  uint64_t failedBefore = peerRoutes_->counters().failed;
  peerRoutes_->prepare(peer, uv_hrtime());
  std::string why = peerRoutes_->takeError();
  // The first failures say why; after that the counter does (show statistics peer-routes).
  if (!why.empty() && failedBefore < 5) {
    logError(why + " (the leg starts with the kernel's initial window)");
  }
}

void FlowManager::onAccept(uv_stream_t* listener) {
  FlowInfo info;
  info.connId = nextConnId_++;
  info.startTimeUnix = static_cast<uint64_t>(std::time(nullptr));
  // Owned by the table from here; it leaves only through onFlowClosed (libuv handles must be
  // closed before their memory goes).
  Flow* flow = &flows_.add(std::make_unique<Flow>(loop_, *this, std::move(info)));
  if (uv_accept(listener, flow->acceptedStream()) != 0) {
    flow->abort(codec::ResetReason::Unspecified, "accept failed");
    return;
  }
  sockaddr_storage local{}, peer{};
  int ll = sizeof(local), pl = sizeof(peer);
  auto* tcp = reinterpret_cast<uv_tcp_t*>(flow->acceptedStream());
  uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&local), &ll);
  uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&peer), &pl);
  // TPROXY: the accepted socket's local address is the server the client asked for.
  flow->info().client = endpointFromSockaddr(peer);
  flow->info().server = endpointFromSockaddr(local);

  policy::FlowKey key = flowKeyOf(flow->info());
  if (isCore()) {
    if (auto entry = coreTable_.take(key, uv_hrtime()); entry && entry->peerOption) {
      startCoreFlow(*flow, *entry);
      return;
    }
  }
  if (isEdge()) {
    startEdgeFlow(*flow);
    return;
  }
  // A core-only box got a flow without a peer's option: relay it unchanged.
  makePassThrough(*flow, PassThroughReason::NoPeer);
}

void FlowManager::startEdgeFlow(Flow& f) {
  Flow* flow = &f;
  FlowInfo& info = flow->info();
  policy::FlowKey key = flowKeyOf(info);
  info.decision = policy_.current()->classify(key, &dynamicRules_);
  if (info.decision.dynamicKey) {
    dynamicRules_.flowStarted(*info.decision.dynamicKey);
  }
  uint8_t configured = configuredBits(info.decision);
  info.policy.configured = configured;
  if (!policy::usesTfo(info.decision.action)) {
    makePassThrough(*flow, PassThroughReason::Policy);
    return;
  }
  // An accelerator that works on groups of connections (MAPI association groups) has the
  // limiter reserve per group (proxy/flow_table.h, reservationGroupOf).
  const Plugged* p = plugged(info.decision.accelerator);
  std::optional<uint64_t> group;
  if (p != nullptr && p->accelerator->reservesByGroup()) {
    group = reservationGroupOf(info);
  }
  if (!flows_.mayOptimize(info)) {
    makePassThrough(*flow, PassThroughReason::Overload);
    return;
  }
  if (auto adm = flows_.admit(info.connId, limiter_, group);
      adm.how == policy::Admission::PassThroughOverload) {
    if (p != nullptr) {
      p->accelerator->onOverload(info, adm.knownGroup);
    }
    makePassThrough(*flow, PassThroughReason::Overload);
    return;
  }
  info.policy.derived = configured;
  DiscoveryEntry entry;
  entry.requestedPolicy = configured;
  // Our mode for the class goes in the SYN; the core's answer decides the leg (leg_security.h).
  if (secure_ == nullptr) {
    info.wanSecureMode = policy::WanSecureMode::Never;
    info.wanSecureOff = "WAN secure is not part of this box";
  } else {
    info.wanSecureMode = secure_->offeredMode(info.decision.accelerator, &info.wanSecureOff);
  }
  entry.secureFlags = edgeSynFlags(info.wanSecureMode);
  edgeTable_.put(key, entry, uv_hrtime());
  int fd = makeTransparentOutbound(info.client, redirect::Marks::kOutDiscover);
  if (fd >= 0) {
    // This leg becomes the peer leg if a core answers: its window is fixed at the handshake.
    sizePeerLegBuffers(fd);
  }
  int r = fd < 0 ? uv_translate_sys_error(-fd) : flow->connectOutbound(fd, info.server);
  if (r != 0) {
    logFlow(*flow, std::string("cannot open the outbound leg: ") + uv_strerror(r));
    flow->abort(codec::ResetReason::Unspecified, "outbound leg failed");
  }
}

void FlowManager::startCoreFlow(Flow& f, const DiscoveryEntry& entry) {
  Flow* flow = &f;
  FlowInfo& info = flow->info();
  info.coreSide = true;
  info.peerId = entry.peerOption->deviceId.toString();
  // Classified when its SYN was answered (the same decision), else now.
  info.decision = entry.decision ? *entry.decision
                                 : policy_.current()->classify(flowKeyOf(info), &dynamicRules_);
  if (info.decision.dynamicKey) {
    dynamicRules_.flowStarted(*info.decision.dynamicKey);
  }
  uint8_t configured = configuredBits(info.decision);
  info.policy = codec::negotiate(configured, configured, entry.peerOption->requestedPolicy,
                                 generic_.localLimits());
  info.legSecurity = entry.security.outcome;
  info.wanSecureLeg = info.legSecurity == LegSecurity::Tls;
  if (info.legSecurity == LegSecurity::Clear) {
    info.wanSecureOff = entry.security.why;
  } else if (info.legSecurity == LegSecurity::Mismatch) {
    // The edge sees the same difference in our answer and relays the client raw: the Hello
    // wait below falls back to a raw relay (onPeerFallback).
    info.wanSecureOff = entry.security.why;
    noteSecureFailure(info.peerId, kModeMismatch, entry.security.why);
  }
  flows_.admitted(info.connId, limiter_.admit(policy::FlowKind::Generic), std::nullopt);
  int fd = makeTransparentOutbound(info.client, redirect::Marks::kOutPlain);
  int r = fd < 0 ? uv_translate_sys_error(-fd) : flow->connectOutbound(fd, info.server);
  if (r != 0) {
    logFlow(*flow, std::string("cannot open the server leg: ") + uv_strerror(r));
    flow->abort(codec::ResetReason::ServerReset, "server leg failed");
  }
}

void FlowManager::makePassThrough(Flow& flow, PassThroughReason why) {
  FlowInfo& info = flow.info();
  info.passThroughReason = why;
  int fd = makeTransparentOutbound(info.client, redirect::Marks::kOutPlain);
  int r = fd < 0 ? uv_translate_sys_error(-fd) : flow.connectOutbound(fd, info.server);
  if (r != 0) {
    logFlow(flow, std::string("cannot open the outbound leg: ") + uv_strerror(r));
    flow.abort(codec::ResetReason::Unspecified, "outbound leg failed");
    return;
  }
  info.state = FlowState::PassThrough;
}

void FlowManager::onOutboundConnected(Flow& flow, int status) {
  FlowInfo& info = flow.info();
  if (status != 0) {
    // The server (or the core on its behalf) refused: the client sees a reset, as it would
    // without us.
    logFlow(flow, std::string("outbound connect failed: ") + uv_strerror(status));
    flow.abort(codec::ResetReason::ServerReset, "connect failed");
    return;
  }
  if (info.state == FlowState::PassThrough) {
    flow.startRelay(LegKind::Raw, LegKind::Raw);
    return;
  }
  if (info.coreSide) {
    info.state = FlowState::Optimized;
    tunePeerLegOf(flow, 0);
    if (info.legSecurity == LegSecurity::PerFlow) {
      // Both `auto`: the edge's first bytes say it, a ClientHello (onPeerStartsTls) or its
      // Hello in clear.
      flow.allowTlsStart(0);
    } else if (info.wanSecureLeg) {
      // The edge starts with its ClientHello; its Hello comes inside TLS.
      auto leg = secure_->makeLeg(/*client=*/false, info.peerId);
      if (!leg.ok()) {
        noteSecureFailure(info.peerId, "internal", leg.error());
        // Nothing was sent to the server: the edge sees the leg end before it opened and
        // carries the flow on without WAN secure.
        flow.abort(codec::ResetReason::ProtocolError, leg.error());
        return;
      }
      flow.secureLeg(0, std::move(leg).value());
    }
    attachAccelerator(flow);
    // Nothing goes to the edge before its Hello: if our SYN-ACK answer was lost on the way,
    // the edge relays the client raw and we must be able to do the same (onPeerFallback).
    flow.expectHello(0);
    flow.startRelay(LegKind::Peer, LegKind::Raw, generic_.codecFor(info));
    return;
  }
  // Edge: did the core answer our SYN?
  auto entry = edgeTable_.take(flowKeyOf(info), uv_hrtime());
  if (!entry || !entry->peerOption) {
    flows_.releaseAdmission(info.connId, limiter_);
    info.state = FlowState::PassThrough;
    info.passThroughReason = PassThroughReason::NoPeer;
    flow.startRelay(LegKind::Raw, LegKind::Raw);
    return;
  }
  info.peerId = entry->peerOption->deviceId.toString();
  LegSecurityDecision security = decideAtEdge(info.wanSecureMode, entry->peerOption->flags);
  info.legSecurity = security.outcome;
  if (security.outcome == LegSecurity::Mismatch) {
    // Both ends must agree (issue 16). The core saw the same difference and waits for a Hello
    // in clear; raw bytes make it relay raw too, so nothing is lost or altered.
    info.wanSecureOff = security.why;
    noteSecureFailure(info.peerId, kModeMismatch, security.why);
    flows_.releaseAdmission(info.connId, limiter_);
    info.state = FlowState::PassThrough;
    info.passThroughReason = PassThroughReason::WanSecureFailed;
    if (secure_ != nullptr) {
      secure_->stats().handedOff();
    }
    flow.startRelay(LegKind::Raw, LegKind::Raw);
    return;
  }
  if (security.outcome == LegSecurity::Clear && info.wanSecureOff.empty()) {
    info.wanSecureOff = security.why;
  }
  info.state = FlowState::Optimized;
  info.policy = codec::negotiate(info.policy.configured, info.policy.derived,
                                 entry->peerOption->requestedPolicy, generic_.localLimits());
  tunePeerLegOf(flow, 1);
  // A core answers for this server: the next peer legs to it start with the large window.
  preparePeerRoute(info.server.ip);
  attachAccelerator(flow);
  if (security.outcome == LegSecurity::PerFlow) {
    // Both `auto`: the client's first bytes say whether the leg needs WAN secure (a sealed
    // bind, for MAPI); the leg starts once they do (onFirstFlight).
    const Plugged* p = plugged(info.decision.accelerator);
    if (p != nullptr && flow.hasFilter()) {
      firstFlights_[info.connId] = uv_hrtime() + kFirstFlightWaitMs * 1000000ull;
      flow.readFirstFlight(kMaxFirstFlight);
      return;
    }
    info.wanSecureOff = "no accelerator of this flow needs WAN secure";
  }
  startEdgePeerLeg(
      flow, security.outcome != LegSecurity::Clear && security.outcome != LegSecurity::PerFlow);
}

void FlowManager::onFirstFlight(Flow& flow, ByteSpan bytes, bool ended) {
  FlowInfo& info = flow.info();
  const Plugged* p = plugged(info.decision.accelerator);
  accel::SecureLegNeed need =
      p != nullptr ? p->accelerator->secureLegNeed(bytes) : accel::SecureLegNeed::No;
  if (need == accel::SecureLegNeed::NeedMore && !ended && bytes.size() < kMaxFirstFlight) {
    return;
  }
  firstFlights_.erase(info.connId);
  const bool secured = need == accel::SecureLegNeed::Yes;
  secure_->stats().autoDecided(secured);
  if (!secured) {
    info.wanSecureOff =
        need == accel::SecureLegNeed::No
            ? "WAN secure is auto on both ends and this connection's first bytes did not need it"
            : "WAN secure is auto on both ends and this connection's first " +
                  std::to_string(bytes.size()) + " bytes did not say whether it needs it";
  }
  startEdgePeerLeg(flow, secured);
}

void FlowManager::expireFirstFlights(uint64_t nowNs) {
  std::vector<uint64_t> late;
  for (const auto& [id, deadline] : firstFlights_) {
    if (nowNs >= deadline) {
      late.push_back(id);
    }
  }
  for (uint64_t id : late) {
    firstFlights_.erase(id);
    if (Flow* f = flows_.flow(id)) {
      // The client has not spoken yet: the leg starts in clear (a server that speaks first).
      f->info().wanSecureOff =
          "WAN secure is auto on both ends and the client sent nothing within " +
          std::to_string(kFirstFlightWaitMs) + " ms";
      secure_->stats().autoDecided(false);
      startEdgePeerLeg(*f, false);
    }
  }
}

void FlowManager::startEdgePeerLeg(Flow& flow, bool secured) {
  FlowInfo& info = flow.info();
  info.wanSecureLeg = secured;
  // The Hello is the first thing on the peer leg: the core sends nothing before it, and falls
  // back to a raw relay if the first bytes are anything else.
  codec::Hello hello;
  hello.deviceId = settings_.deviceId;
  hello.policy = info.policy.derived;
  // An accelerator in halves (the MAPI AO) frames what it sends the core from the first byte:
  // ask for it only when the edge half is attached.
  if (const Plugged* p = plugged(info.decision.accelerator)) {
    hello.acceleratorWanted =
        flow.hasFilter() || !p->accelerator->halves() ? p->wireId : codec::Accelerator::None;
  }
  hello.tuple = tupleOf(info);
  hello.wanBandwidthKbit = wanBandwidthKbit();
  if (secured) {
    // The leg starts with the ClientHello; the Hello waits inside it until the leg opens. The
    // client is read once it opens, and what it sends is kept until the core's HelloAck
    // confirms the leg (Flow::holdUntilConfirmed), so a refusal can still hand the flow off.
    auto leg = secure_->makeLeg(/*client=*/true, info.peerId);
    if (!leg.ok()) {
      noteSecureFailure(info.peerId, "internal", leg.error());
      onSecureFallback(flow);
      return;
    }
    flow.secureLeg(1, std::move(leg).value());
    flow.holdUntilConfirmed(1);
  }
  Bytes payload;
  codec::encodeHello(hello, payload);
  flow.sendFrame(1, codec::FrameType::Hello, payload);
  flow.startRelay(LegKind::Raw, LegKind::Peer, generic_.codecFor(info));
}

bool FlowManager::onPeerStartsTls(Flow& flow, int leg) {
  FlowInfo& info = flow.info();
  auto made = secure_ != nullptr ? secure_->makeLeg(/*client=*/false, info.peerId)
                                 : secure::Outcome<std::unique_ptr<SecureLeg>>::failure(
                                       "WAN secure is not part of this box");
  if (!made.ok()) {
    noteSecureFailure(info.peerId, "internal", made.error());
    return false;
  }
  info.wanSecureLeg = true;
  info.wanSecureOff.clear();
  flow.secureLeg(leg, std::move(made).value());
  return true;
}

bool FlowManager::onHello(Flow& flow, const codec::Hello& hello) {
  FlowInfo& info = flow.info();
  if (!info.coreSide || hello.tuple != tupleOf(info)) {
    logFlow(flow, "first bytes are not a Hello for this flow");
    return false;
  }
  info.policy.peer = hello.policy;
  if (info.legSecurity == LegSecurity::PerFlow && !flow.secureLegOf(0)) {
    info.wanSecureOff =
        "WAN secure is auto on both ends and the edge found no need for it on this connection";
  }
  // Toward this edge the WAN is no faster than its own link: pace to that, not to the box's
  // one setting (a data centre's core serves branches of many speeds).
  pacePeerLeg(flow.legFd(0), peerLegWanKbit(wanBandwidthKbit(), hello.wanBandwidthKbit));
  if (const Plugged* p = plugged(hello.acceleratorWanted)) {
    // The edge's half asks for ours.
    accel::Attachment a = p->accelerator->attachPeerHalf(info);
    if (a.filter || a.observer) {
      flow.setFilter(std::move(a.filter));
      flow.setObserver(std::move(a.observer));
      info.acceleratorApplied = p->wireId;
    }
  }
  codec::HelloAck ack;
  ack.deviceId = settings_.deviceId;
  ack.policy = info.policy.derived;
  ack.negotiated = info.policy.negotiated;
  ack.applied = info.policy.applied;
  ack.acceleratorApplied = info.acceleratorApplied;
  Bytes payload;
  codec::encodeHelloAck(ack, payload);
  flow.sendFrame(0, codec::FrameType::HelloAck, payload);
  return true;
}

void FlowManager::onPeerFallback(Flow& flow) {
  FlowInfo& info = flow.info();
  logFlow(flow,
          "the edge relays this flow raw (our auto-discovery answer did not reach it): "
          "pass-through");
  info.state = FlowState::PassThrough;
  info.passThroughReason = PassThroughReason::PeerMismatch;
  info.policy.applied = 0;
}

bool FlowManager::onHelloAck(Flow& flow, const codec::HelloAck& ack) {
  FlowInfo& info = flow.info();
  if (info.coreSide) {
    return false;
  }
  // The core's view wins only where it is narrower: never apply what either side refused.
  info.policy.peer = ack.policy;
  info.policy.negotiated &= ack.negotiated;
  info.policy.applied &= ack.applied;
  // The accelerator shown is this box's own; the core's half reports in its own table.
  return true;
}

void FlowManager::onSecureLegOpen(Flow& flow, int leg) {
  FlowInfo& info = flow.info();
  info.wanSecured = true;
  const SecureLeg* s = flow.secureLegOf(leg);
  secure_->stats().handshakeDone(info.peerId, s->resumed());
  if (s->earlyData() != secure::EarlyData::None) {
    secure_->stats().earlyData(s->earlyData() == secure::EarlyData::Accepted);
  }
  secure_->notePeerCertificate(info.peerId, *s);
}

void FlowManager::onSecureLegFailed(Flow& flow, int leg, bool confirmed) {
  FlowInfo& info = flow.info();
  const SecureLeg* s = flow.secureLegOf(leg);
  std::string name(secure::tlsFailureName(s->failure()));
  std::string text = s->failureText();
  std::string detail = text.size() > name.size() + 2 ? text.substr(name.size() + 2) : "";
  noteSecureFailure(info.peerId, name, detail);
  if (secure_ != nullptr) {
    // show crypto certificates: the certificate the peer showed, and a revocation verdict
    // ("certificate-revoked (...)") when that was the failure.
    secure_->notePeerCertificate(info.peerId, *s);
  }
  if (confirmed) {
    // Bytes of the flow may have crossed the leg: only a reset keeps them from being altered.
    flow.abort(codec::ResetReason::Unspecified, "WAN secure: " + text);
    return;
  }
  if (info.coreSide) {
    // Nothing reached the server; the edge sees the leg end unopened and reconnects without
    // WAN secure. The server leg is reset before our alert leaves, so it is gone first.
    flow.abort(codec::ResetReason::ProtocolError,
               "WAN secure: " + text + " (the edge carries the flow on without it)");
    return;
  }
  onSecureFallback(flow);
}

void FlowManager::onSecureFallback(Flow& flow) {
  // Edge, nothing of the client answered yet. An `always` class goes on as pass-through on a
  // new outbound leg; a flow that `auto` secured goes on over a new peer leg in clear, where
  // what needed the secured leg is handed to the generic AO, named (the seed's Problem 4:
  // "connections can drop to TG").
  FlowInfo& info = flow.info();
  if (info.legSecurity == LegSecurity::PerFlow && !info.retryWithoutWanSecure) {
    info.retryWithoutWanSecure = true;
    const SecureLeg* s = flow.secureLegOf(1);
    info.wanSecureOff = "WAN secure failed on this connection's leg" +
                        (s != nullptr ? " (" + s->failureText() + ")" : std::string()) +
                        "; carried on without it";
    info.acceleratorApplied = codec::Accelerator::None;
    info.state = FlowState::AutoDiscovery;
    if (secure_ != nullptr) {
      secure_->stats().handedOff();
    }
    if (!flow.dropOutboundForFallback()) {
      flow.abort(codec::ResetReason::Unspecified,
                 "WAN secure failed after the client was answered: reset");
    }
    return;
  }
  flows_.releaseAdmission(info.connId, limiter_);
  info.state = FlowState::PassThrough;
  info.passThroughReason = PassThroughReason::WanSecureFailed;
  info.acceleratorApplied = codec::Accelerator::None;
  info.policy.applied = 0;
  if (secure_ != nullptr) {
    secure_->stats().handedOff();
  }
  if (!flow.dropOutboundForFallback()) {
    flow.abort(codec::ResetReason::Unspecified,
               "WAN secure failed after the client was answered: reset");
  }
}

void FlowManager::onOutboundDropped(Flow& flow) {
  if (fallbackTimer_ == nullptr) {
    flow.abort(codec::ResetReason::Unspecified, "daemon stopping");
    return;
  }
  fallbackDue_.push_back({uv_now(loop_) + kFallbackSettleMs, flow.info().connId});
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(fallbackTimer_))) {
    uv_timer_start(
        fallbackTimer_,
        [](uv_timer_t* t) { static_cast<FlowManager*>(t->data)->onFallbackTimer(); },
        kFallbackSettleMs, 0);
  }
}

void FlowManager::onFallbackTimer() {
  const uint64_t now = uv_now(loop_);
  std::vector<uint64_t> due;
  uint64_t next = 0;
  for (auto it = fallbackDue_.begin(); it != fallbackDue_.end();) {
    if (it->first <= now) {
      due.push_back(it->second);
      it = fallbackDue_.erase(it);
    } else {
      next = next == 0 ? it->first : std::min(next, it->first);
      ++it;
    }
  }
  for (uint64_t id : due) {
    if (Flow* f = flows_.flow(id)) {
      if (f->info().retryWithoutWanSecure) {
        rediscoverWithoutWanSecure(*f);
      } else {
        makePassThrough(*f, PassThroughReason::WanSecureFailed);
      }
    }
  }
  if (next != 0 && fallbackTimer_ != nullptr) {
    uv_timer_start(
        fallbackTimer_,
        [](uv_timer_t* t) { static_cast<FlowManager*>(t->data)->onFallbackTimer(); }, next - now,
        0);
  }
}

void FlowManager::rediscoverWithoutWanSecure(Flow& flow) {
  FlowInfo& info = flow.info();
  // The same discovery as at the start (startEdgeFlow), offering no WAN secure: a core in
  // `auto` answers clear, one in `always` a mismatch (the flow then passes through).
  info.wanSecureMode = policy::WanSecureMode::Never;
  info.wanSecureLeg = info.wanSecured = false;
  DiscoveryEntry entry;
  entry.requestedPolicy = info.policy.configured;
  entry.secureFlags = edgeSynFlagsAfterFailure();
  edgeTable_.put(flowKeyOf(info), entry, uv_hrtime());
  flow.replayKeptAsFirstFlight();
  int fd = makeTransparentOutbound(info.client, redirect::Marks::kOutDiscover);
  if (fd >= 0) {
    sizePeerLegBuffers(fd);
  }
  int r = fd < 0 ? uv_translate_sys_error(-fd) : flow.connectOutbound(fd, info.server);
  if (r != 0) {
    logFlow(flow, std::string("cannot open the outbound leg: ") + uv_strerror(r));
    flow.abort(codec::ResetReason::Unspecified, "outbound leg failed");
  }
}

void FlowManager::noteSecureFailure(const std::string& peer, const std::string& name,
                                    const std::string& detail) {
  if (secure_ == nullptr) {
    return;
  }
  for (const std::string& line : secure_->stats().handshakeFailed(peer, name, detail)) {
    logError(line);
  }
}

std::pair<uint64_t, uint64_t> FlowManager::liveSecureBytes() const {
  uint64_t sealed = 0, opened = 0;
  flows_.forEach([&](Flow& f) {
    for (int i = 0; i < 2; ++i) {
      if (const SecureLeg* s = f.secureLegOf(i)) {
        sealed += s->bytesSealed();
        opened += s->bytesOpened();
      }
    }
  });
  return {sealed, opened};
}

void FlowManager::requestFlush(Flow& flow) {
  // Each new burst of input pushes the flush back: it happens once the input pauses.
  flows_.scheduleFlush(flow.info().connId, uv_now(loop_) + kFlushIdleMs);
  armFlushTimer();
}

void FlowManager::armFlushTimer() {
  if (flushTimer_ == nullptr || !flows_.flushPending() ||
      uv_is_active(reinterpret_cast<uv_handle_t*>(flushTimer_))) {
    return;
  }
  uv_timer_start(
      flushTimer_, [](uv_timer_t* t) { static_cast<FlowManager*>(t->data)->onFlushTimer(); },
      kFlushIdleMs, 0);
}

void FlowManager::onFlushTimer() {
  const uint64_t now = uv_now(loop_);
  // Flushing may write, fail and close flows (which leave the table): each is looked up afresh.
  for (uint64_t id : flows_.takeDueFlushes(now)) {
    if (Flow* f = flows_.flow(id)) {
      f->flushCodec();
    }
  }
  armFlushTimer();
}

void FlowManager::attachAccelerator(Flow& flow) {
  FlowInfo& info = flow.info();
  const Plugged* p = plugged(info.decision.accelerator);
  if (p == nullptr) {
    return;
  }
  accel::Attachment a = p->accelerator->attach(info);
  if (a.filter || a.observer) {
    flow.setFilter(std::move(a.filter));
    flow.setObserver(std::move(a.observer));
    info.acceleratorApplied = p->wireId;
  }
}

const FlowManager::Plugged* FlowManager::plugged(policy::Accelerator which) const {
  auto it = accelerators_.find(which);
  return it == accelerators_.end() ? nullptr : &it->second;
}

const FlowManager::Plugged* FlowManager::plugged(codec::Accelerator wireId) const {
  if (wireId == codec::Accelerator::None) {
    return nullptr;
  }
  for (const auto& [which, p] : accelerators_) {
    if (p.wireId == wireId) {
      return &p;
    }
  }
  return nullptr;
}

void FlowManager::onFlowClosed(Flow& flow) {
  ++historicalFlows_;
  firstFlights_.erase(flow.info().connId);
  for (int i = 0; i < 2; ++i) {
    if (const SecureLeg* s = flow.secureLegOf(i); s != nullptr && secure_ != nullptr) {
      secure_->stats().addBytes(s->bytesSealed(), s->bytesOpened());
    }
  }
  for (auto& [which, p] : accelerators_) {
    p.accelerator->onFlowClosed(flow.info(), flow.filter());
  }
  const FlowInfo& fi = flow.info();
  if (fi.state == FlowState::Optimized) {
    ++totals_.flows;
    totals_.lanRead += fi.lanBytesRead;
    totals_.lanWritten += fi.lanBytesWritten;
    totals_.wanRead += fi.wanBytesRead;
    totals_.wanWritten += fi.wanBytesWritten;
  }
  if (policy_.current()->config().transactionLog.enabled) {
    std::string line = transactionLogLine(fi, std::time(nullptr));
    logInfo("tfo_log " + line);
    appendTransactionLog(settings_.stateDir, line);
  }
  if (flow.info().decision.dynamicKey) {
    dynamicRules_.flowEnded(*flow.info().decision.dynamicKey);
  }
  // Deletes the flow (its admission and group slot go back to the limiter).
  flows_.remove(fi.connId, limiter_);
}

void FlowManager::logInfo(const std::string& line) {
  proxy::logInfo(line);
}

void FlowManager::logError(const std::string& line) {
  proxy::logError(line);
}

void FlowManager::wake() {
  if (wakeTimer_ == nullptr) {
    return;
  }
  uv_timer_start(
      wakeTimer_, [](uv_timer_t* t) { static_cast<FlowManager*>(t->data)->onWakeTimer(); }, 0, 0);
}

void FlowManager::onWakeTimer() {
  for (auto& [which, p] : accelerators_) {
    p.accelerator->runPending();
  }
}

accel::FlowRecord* FlowManager::findFlow(uint64_t connId) {
  Flow* f = flowById(connId);
  return f == nullptr ? nullptr : &f->info();
}

const FlowFilter* FlowManager::filterOf(uint64_t connId) const {
  Flow* f = flowById(connId);
  return f == nullptr ? nullptr : f->filter();
}

bool FlowManager::runFilter(uint64_t connId,
                            const std::function<void(FlowFilter&, FlowFilter::Output&)>& step) {
  Flow* f = flowById(connId);
  if (f == nullptr || !f->hasFilter()) {
    return false;
  }
  f->runFilter(step);
  return true;
}

void FlowManager::handOff(uint64_t connId, uint16_t reason, const std::string& why) {
  if (Flow* f = flowById(connId)) {
    f->handOffFilter(reason, why);
  }
}

void FlowManager::reset(uint64_t connId, const std::string& why) {
  if (Flow* f = flowById(connId)) {
    f->abort(codec::ResetReason::ProtocolError, why);
  }
}

void FlowManager::forEachFlow(const std::function<void(accel::FlowRecord&)>& visit) {
  flows_.forEach([&](Flow& f) { visit(f.info()); });
}

void FlowManager::logFlow(const Flow& flow, const std::string& what) {
  const FlowInfo& i = flow.info();
  logInfo("flow " + std::to_string(i.connId) + " " + i.client.toString() + " -> " +
          i.server.toString() + ": " + what);
}

std::vector<FlowInfo> FlowManager::flowInfos() const {
  std::vector<FlowInfo> v;
  v.reserve(flows_.size());
  flows_.forEach([&](Flow& f) {
    v.push_back(f.info());
    v.back().bufferedBytes = f.bufferedBytes();
  });  // in connection-id order
  return v;
}

}  // namespace bh::proxy
