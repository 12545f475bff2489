#include "proxy/daemon.h"

#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <fstream>

#include "accel/control_args.h"
#include "policy/config_loader.h"
#include "policy/show_accelerator.h"
#include "policy/show_dynamic_rules.h"
#include "policy/show_policy_map.h"
#include "policy/show_running_config.h"
#include "proxy/codec/peer_messages.h"
#include "proxy/connection_stats.h"
#include "proxy/control/reply.h"
#include "proxy/control/show_accelerators.h"
#include "proxy/control/show_device.h"
#include "proxy/control/show_dre.h"
#include "proxy/control/show_peering.h"
#include "proxy/generic/dre_data_codec.h"
#include "proxy/log.h"
#include "proxy/privileges.h"
#include "proxy/sockets.h"

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

}  // namespace

codec::DeviceId deriveDeviceId(const std::string& configured) {
  if (!configured.empty()) {
    if (auto id = codec::DeviceId::fromString(configured)) {
      return *id;
    }
  }
  codec::DeviceId id;
  DIR* d = opendir("/sys/class/net");
  if (d == nullptr) {
    return id;
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != ".." && n != "lo") {
      names.push_back(n);
    }
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    std::ifstream in("/sys/class/net/" + n + "/address");
    std::string mac;
    in >> mac;
    if (auto parsed = codec::DeviceId::fromString(mac)) {
      if (parsed->bytes != std::array<uint8_t, 6>{}) {
        return *parsed;
      }
    }
  }
  return id;
}

Daemon::Daemon(DaemonOptions options, policy::PolicyPtr policy)
    : options_(std::move(options)),
      policy_(policy),
      role_(options_.roleOverride.value_or(policy->config().device.role)),
      deviceId_(deriveDeviceId(policy->config().device.id)),
      generic_(
          options_.stateDir, [](const std::string& l) { proxy::logInfo(l); },
          [](const std::string& l) { proxy::logError(l); }),
      dynamicRules_([] { return policy::MonoClock::now(); }, policy->config().epm.maxDynamicRules),
      limiter_(policy->config().limits) {
  uv_loop_init(&loop_);
  buildCommands();
}

Daemon::~Daemon() {
  uv_loop_close(&loop_);
}

bool Daemon::isEdge() const {
  return role_ == policy::DeviceRole::Edge || role_ == policy::DeviceRole::Both;
}
bool Daemon::isCore() const {
  return role_ == policy::DeviceRole::Core || role_ == policy::DeviceRole::Both;
}

void Daemon::pinPeerRouteTable() {
  // Fixed for the daemon's life (a reload does not move it), so the rules removed at the end
  // are the ones installed at the start.
  peerRouteTable_ = initialWindowSegments() != 0 && options_.installRules
                        ? policy_.current()->config().peering.routeTable
                        : 0;
}

uint32_t Daemon::wanBandwidthKbit() const {
  return options_.wanBandwidthKbit.value_or(policy_.current()->config().peering.wanBandwidthKbit);
}

uint32_t Daemon::initialWindowSegments() const {
  return options_.initialWindowSegments.value_or(
      policy_.current()->config().peering.initialWindowSegments);
}

void Daemon::tunePeerLegOf(Flow& flow, int leg) {
  const std::string& cc = policy_.current()->config().peering.congestionControl;
  if (!tunePeerLeg(flow.legFd(leg), cc, wanBandwidthKbit()) && !congestionControlWarned_) {
    congestionControlWarned_ = true;
    logError("cannot use congestion control '" + cc + "' on peer legs (see " +
             "/proc/sys/net/ipv4/tcp_available_congestion_control); the kernel's default applies");
  }
}

void Daemon::preparePeerRoute(const policy::IpAddress& peer) {
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

redirect::InterceptionSpec Daemon::interceptionSpec() const {
  redirect::InterceptionSpec s;
  s.peerRouteTable = peerRouteTable_;
  s.edge = isEdge();
  s.core = isCore();
  s.listenPort = policy_.current()->config().peering.listenPort;
  const auto& ic = policy_.current()->config().interception;
  s.queueNum = options_.queueNum ? options_.queueNum : ic.nfqueue;
  s.lanInterfaces = options_.lanInterfaces.empty() ? ic.lanInterfaces : options_.lanInterfaces;
  return s;
}

void Daemon::writeTransactionLog(const FlowInfo& i) {
  // The seed's tfo_log flow-end record: time, conn id, addresses, what ran, byte counts.
  char when[32];
  time_t now = std::time(nullptr);
  tm tmv{};
  localtime_r(&now, &tmv);
  std::strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tmv);
  std::string kind = i.state == FlowState::PassThrough ? "PT" : "SODRE";
  std::string line =
      std::string(when) + " :" + std::to_string(i.connId) + " :" + i.client.ip.toString() + " :" +
      std::to_string(i.client.port) + " :" + i.server.ip.toString() + " :" +
      std::to_string(i.server.port) + " :OT :" + kind +
      " :END :" + (i.coreSide ? "INTERNAL SERVER" : "EXTERNAL CLIENT") + " :(" +
      i.decision.application + ") :" + i.peerId + " :" + codec::policyName(i.policy.applied) +
      " :" + std::to_string(i.lanBytesRead) + " :" + std::to_string(i.lanBytesWritten) + " :" +
      std::to_string(i.wanBytesRead) + " :" + std::to_string(i.wanBytesWritten);
  logInfo("tfo_log " + line);
  std::string path = options_.stateDir + "/tfo.log";
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && st.st_size > (10 << 20)) {
    std::rename(path.c_str(), (path + ".1").c_str());  // keep one rotated file
  }
  std::ofstream f(path, std::ios::app);
  f << line << "\n";
}

int Daemon::removeRules() {
  pinPeerRouteTable();
  rules_.remove(interceptionSpec());
  logInfo("interception rules removed");
  return 0;
}

int Daemon::run() {
  const auto& cfg = policy_.current()->config();
  pinPeerRouteTable();
  logInfo("bridgehead starting: role " + policy::roleName(role_) + ", device id " +
          deviceId_.toString() + ", listener port " + std::to_string(cfg.peering.listenPort));

  for (bool v6 : {false, true}) {
    int r = startListener(v6);
    if (r != 0) {
      logError(std::string("cannot open the transparent listener (") + (v6 ? "IPv6" : "IPv4") +
               "): " + uv_strerror(r));
      return 1;
    }
  }

  NfqueueHandler::Settings ns;
  ns.queueNum = interceptionSpec().queueNum;
  ns.edge = isEdge();
  ns.core = isCore();
  ns.deviceId = deviceId_;
  ns.format.kind = cfg.peering.optionKind;
  ns.format.exid = cfg.peering.optionKind == 253 ? std::optional<uint16_t>(cfg.peering.optionExid)
                                                 : std::nullopt;
  nfqueue_ = std::make_unique<NfqueueHandler>(
      &loop_, ns, edgeTable_, coreTable_,
      [this](const policy::FlowKey& flow, uint8_t requested, DiscoveryEntry& entry) -> uint8_t {
        // An edge's SYN: the route our SYN-ACK and the whole accepted peer leg take back to
        // it must carry the initial window before the kernel answers (after this verdict).
        preparePeerRoute(flow.src);
        // The flow's one classification: the answer says what the accepted flow will do.
        entry.decision = policy_.current()->classify(flow, &dynamicRules_);
        uint8_t bits = configuredBits(*entry.decision);
        return codec::negotiate(bits, bits, requested, generic_.localLimits()).applied;
      });
  if (int r = nfqueue_->start(); r != 0) {
    logError(std::string("cannot bind NFQUEUE ") + std::to_string(ns.queueNum) + ": " +
             std::strerror(-r));
    return 1;
  }

  if (options_.installRules) {
    // SYN/SYN-ACK queueing always goes through iptables-nft's xt NFQUEUE, which works with or
    // without nft's own `queue` expression (the lab kernel lacks it); say which this kernel has.
    logInfo(std::string("nft queue expression: ") +
            (rules_.probe().nftQueue ? "available" : "missing") +
            "; SYN/SYN-ACK queueing uses xt NFQUEUE");
    if (!rules_.install(interceptionSpec())) {
      logError("cannot install interception rules: " + rules_.error());
      rules_.remove(interceptionSpec());
      return 1;
    }
    rulesInstalled_ = true;
  }
  if (uint32_t iw = initialWindowSegments(); peerRouteTable_ != 0) {
    redirect::PeerRoutes::Settings prs;
    prs.table = peerRouteTable_;
    prs.initialWindowSegments = iw;
    peerRoutes_ = std::make_unique<redirect::PeerRoutes>(prs);
    if (int r = peerRoutes_->open(); r != 0) {
      logError(std::string("peer routes unavailable (") + std::strerror(-r) +
               "): peer legs start with the kernel's initial window");
      peerRoutes_.reset();
    } else {
      logInfo("peer legs start with an initial window of " + std::to_string(iw) +
              " segments (peer routes in table " + std::to_string(prs.table) + ")");
    }
  }

  control_ = std::make_unique<ControlServer>(
      &loop_, [this](const std::vector<std::string>& a) { return handleControl(a); });
  if (int r = control_->start(options_.controlPath); r != 0) {
    logError("cannot open control socket " + options_.controlPath + ": " + uv_strerror(r));
    shutdown();
    uv_run(&loop_, UV_RUN_DEFAULT);
    return 1;
  }

  if (geteuid() == 0) {
    std::string user = options_.user;
    if (user.empty()) {
      user = getpwnam("bridgehead") != nullptr ? "bridgehead" : "nobody";
    }
    if (passwd* pw = getpwnam(user.c_str())) {
      mkdir(options_.stateDir.c_str(), 0750);
      if (chown(options_.stateDir.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        logError("cannot hand " + options_.stateDir + " to " + user);
      }
    }
    std::string why;
    if (!dropPrivileges(user, why)) {
      logError("cannot drop privileges: " + why);
      shutdown();
      uv_run(&loop_, UV_RUN_DEFAULT);
      return 1;
    }
    logInfo("running as " + user + " with CAP_NET_ADMIN and CAP_NET_RAW only");
  }
  generic_.open(cfg.dre.cacheSizeMb, cfg.lz.level);
  flushTimer_ = new uv_timer_t;
  uv_timer_init(&loop_, flushTimer_);
  flushTimer_->data = this;
  wakeTimer_ = new uv_timer_t;
  uv_timer_init(&loop_, wakeTimer_);
  wakeTimer_->data = this;
  saveTimer_ = new uv_timer_t;
  uv_timer_init(&loop_, saveTimer_);
  saveTimer_->data = this;
  uv_timer_start(
      saveTimer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<Daemon*>(t->data);
        self->generic_.saveLedgers();
        self->dynamicRules_.expire();
      },
      30000, 30000);

  for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
    auto* s = new uv_signal_t;
    uv_signal_init(&loop_, s);
    s->data = this;
    uv_signal_start(
        s,
        [](uv_signal_t* h, int signum) {
          auto* self = static_cast<Daemon*>(h->data);
          if (signum == SIGHUP) {
            self->reload();
          } else {
            self->shutdown();
          }
        },
        sig);
    signals_.push_back(s);
  }
  logInfo("bridgehead ready");
  notifySystemd("READY=1\nSTATUS=optimizing as " + policy::roleName(role_));
  uv_run(&loop_, UV_RUN_DEFAULT);
  logInfo("bridgehead stopped");
  return 0;
}

void Daemon::shutdown() {
  if (stopping_) {
    return;
  }
  stopping_ = true;
  notifySystemd("STOPPING=1");
  generic_.saveLedgers();
  if (flushTimer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(flushTimer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    flushTimer_ = nullptr;
  }
  if (wakeTimer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(wakeTimer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    wakeTimer_ = nullptr;
  }
  if (saveTimer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(saveTimer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    saveTimer_ = nullptr;
  }
  logInfo("bridgehead stopping: removing interception rules");
  if (peerRoutes_) {
    peerRoutes_->removeAll();
  }
  if (rulesInstalled_) {
    rules_.remove(interceptionSpec());
    rulesInstalled_ = false;
  }
  if (nfqueue_) {
    nfqueue_->stop();
  }
  if (control_) {
    control_->stop();
  }
  for (auto* l : listeners_) {
    uv_close(reinterpret_cast<uv_handle_t*>(l),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
  }
  listeners_.clear();
  for (auto* s : signals_) {
    uv_close(reinterpret_cast<uv_handle_t*>(s),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_signal_t*>(h); });
  }
  signals_.clear();
  // Open flows are reset: the daemon is going away and cannot carry them further.
  for (uint64_t id : flows_.ids()) {
    flows_.reset(id, codec::ResetReason::Unspecified, "daemon stopping");
  }
}

int Daemon::startListener(bool v6) {
  int fd = makeTransparentListener(v6, policy_.current()->config().peering.listenPort);
  if (fd < 0) {
    return uv_translate_sys_error(-fd);
  }
  auto* l = new uv_tcp_t;
  uv_tcp_init(&loop_, l);
  l->data = this;
  int r = uv_tcp_open(l, fd);
  if (r == 0) {
    r = uv_listen(reinterpret_cast<uv_stream_t*>(l), 4096, [](uv_stream_t* s, int status) {
      if (status == 0) {
        static_cast<Daemon*>(s->data)->onAccept(s);
      }
    });
  }
  if (r != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(l),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    return r;
  }
  listeners_.push_back(l);
  return 0;
}

uint8_t Daemon::configuredBits(const policy::Decision& d) const {
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

void Daemon::onAccept(uv_stream_t* listener) {
  FlowInfo info;
  info.connId = nextConnId_++;
  info.startTimeUnix = static_cast<uint64_t>(std::time(nullptr));
  // Owned by the table from here; it leaves only through onFlowClosed (libuv handles must be
  // closed before their memory goes).
  Flow* flow = &flows_.add(std::make_unique<Flow>(&loop_, *this, std::move(info)));
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

void Daemon::startEdgeFlow(Flow& f) {
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
  // A MAPI connection's group is known here only by client and server (the assoc_group_id
  // comes with the bind): connections to a server the client already has accelerated MAPI
  // connections with may use that group's reserve rather than escape the AO.
  policy::FlowKind kind = policy::FlowKind::Generic;
  uint64_t group = 0;
  if (info.decision.accelerator == policy::Accelerator::Mapi) {
    group = std::hash<std::string>{}(info.client.ip.toString() + "|" + info.server.ip.toString());
    kind = flows_.groupKnown(group) ? policy::FlowKind::MapiKnownGroup
                                    : policy::FlowKind::MapiNewGroup;
  }
  if (!flows_.mayOptimize(info)) {
    makePassThrough(*flow, PassThroughReason::Overload);
    return;
  }
  policy::Admission adm = limiter_.admit(kind, group);
  if (adm == policy::Admission::PassThroughOverload) {
    if (const Plugged* p = plugged(info.decision.accelerator)) {
      p->accelerator->onOverload(info, kind == policy::FlowKind::MapiKnownGroup);
    }
    makePassThrough(*flow, PassThroughReason::Overload);
    return;
  }
  flows_.admitted(
      info.connId, adm,
      kind != policy::FlowKind::Generic ? std::optional<uint64_t>(group) : std::nullopt);
  info.policy.derived = configured;
  DiscoveryEntry entry;
  entry.requestedPolicy = configured;
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

void Daemon::startCoreFlow(Flow& f, const DiscoveryEntry& entry) {
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
  flows_.admitted(info.connId, limiter_.admit(policy::FlowKind::Generic), std::nullopt);
  int fd = makeTransparentOutbound(info.client, redirect::Marks::kOutPlain);
  int r = fd < 0 ? uv_translate_sys_error(-fd) : flow->connectOutbound(fd, info.server);
  if (r != 0) {
    logFlow(*flow, std::string("cannot open the server leg: ") + uv_strerror(r));
    flow->abort(codec::ResetReason::ServerReset, "server leg failed");
  }
}

void Daemon::makePassThrough(Flow& flow, PassThroughReason why) {
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

void Daemon::onOutboundConnected(Flow& flow, int status) {
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
  info.state = FlowState::Optimized;
  info.peerId = entry->peerOption->deviceId.toString();
  info.policy = codec::negotiate(info.policy.configured, info.policy.derived,
                                 entry->peerOption->requestedPolicy, generic_.localLimits());
  tunePeerLegOf(flow, 1);
  // A core answers for this server: the next peer legs to it start with the large window.
  preparePeerRoute(info.server.ip);
  attachAccelerator(flow);
  // The Hello is the first thing on the peer leg: the core sends nothing before it, and falls
  // back to a raw relay if the first bytes are anything else.
  codec::Hello hello;
  hello.deviceId = deviceId_;
  hello.policy = info.policy.derived;
  // An accelerator in halves (the MAPI AO) frames what it sends the core from the first byte:
  // ask for it only when the edge half is attached.
  if (const Plugged* p = plugged(info.decision.accelerator)) {
    hello.acceleratorWanted =
        flow.hasFilter() || !p->accelerator->halves() ? p->wireId : codec::Accelerator::None;
  }
  hello.tuple = tupleOf(info);
  hello.wanBandwidthKbit = wanBandwidthKbit();
  Bytes payload;
  codec::encodeHello(hello, payload);
  flow.sendFrame(1, codec::FrameType::Hello, payload);
  flow.startRelay(LegKind::Raw, LegKind::Peer, generic_.codecFor(info));
}

bool Daemon::onHello(Flow& flow, const codec::Hello& hello) {
  FlowInfo& info = flow.info();
  if (!info.coreSide || hello.tuple != tupleOf(info)) {
    logFlow(flow, "first bytes are not a Hello for this flow");
    return false;
  }
  info.policy.peer = hello.policy;
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
  ack.deviceId = deviceId_;
  ack.policy = info.policy.derived;
  ack.negotiated = info.policy.negotiated;
  ack.applied = info.policy.applied;
  ack.acceleratorApplied = info.acceleratorApplied;
  Bytes payload;
  codec::encodeHelloAck(ack, payload);
  flow.sendFrame(0, codec::FrameType::HelloAck, payload);
  return true;
}

void Daemon::onPeerFallback(Flow& flow) {
  FlowInfo& info = flow.info();
  logFlow(flow,
          "the edge relays this flow raw (our auto-discovery answer did not reach it): "
          "pass-through");
  info.state = FlowState::PassThrough;
  info.passThroughReason = PassThroughReason::PeerMismatch;
  info.policy.applied = 0;
}

bool Daemon::onHelloAck(Flow& flow, const codec::HelloAck& ack) {
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

void Daemon::requestFlush(Flow& flow) {
  // Each new burst of input pushes the flush back: it happens once the input pauses.
  flows_.scheduleFlush(flow.info().connId, uv_now(&loop_) + kFlushIdleMs);
  armFlushTimer();
}

void Daemon::armFlushTimer() {
  if (flushTimer_ == nullptr || !flows_.flushPending() ||
      uv_is_active(reinterpret_cast<uv_handle_t*>(flushTimer_))) {
    return;
  }
  uv_timer_start(
      flushTimer_, [](uv_timer_t* t) { static_cast<Daemon*>(t->data)->onFlushTimer(); },
      kFlushIdleMs, 0);
}

void Daemon::onFlushTimer() {
  const uint64_t now = uv_now(&loop_);
  // Flushing may write, fail and close flows (which leave the table): each is looked up afresh.
  for (uint64_t id : flows_.takeDueFlushes(now)) {
    if (Flow* f = flows_.flow(id)) {
      f->flushCodec();
    }
  }
  armFlushTimer();
}

void Daemon::attachAccelerator(Flow& flow) {
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

void Daemon::registerAccelerator(policy::Accelerator which, codec::Accelerator wireId,
                                 accel::Accelerator& accelerator) {
  accelerators_[which] = {&accelerator, wireId};
  for (auto& c : accelerator.commands()) {
    commands_.add(std::move(c));
  }
}

const Daemon::Plugged* Daemon::plugged(policy::Accelerator which) const {
  auto it = accelerators_.find(which);
  return it == accelerators_.end() ? nullptr : &it->second;
}

const Daemon::Plugged* Daemon::plugged(codec::Accelerator wireId) const {
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

void Daemon::onFlowClosed(Flow& flow) {
  ++historicalFlows_;
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
    writeTransactionLog(fi);
  }
  if (flow.info().decision.dynamicKey) {
    dynamicRules_.flowEnded(*flow.info().decision.dynamicKey);
  }
  // Deletes the flow (its admission and group slot go back to the limiter).
  flows_.remove(fi.connId, limiter_);
}

void Daemon::logInfo(const std::string& line) {
  proxy::logInfo(line);
}

void Daemon::logError(const std::string& line) {
  proxy::logError(line);
}

void Daemon::wake() {
  if (wakeTimer_ == nullptr) {
    return;
  }
  uv_timer_start(
      wakeTimer_, [](uv_timer_t* t) { static_cast<Daemon*>(t->data)->onWakeTimer(); }, 0, 0);
}

void Daemon::onWakeTimer() {
  for (auto& [which, p] : accelerators_) {
    p.accelerator->runPending();
  }
}

accel::FlowRecord* Daemon::findFlow(uint64_t connId) {
  Flow* f = flowById(connId);
  return f == nullptr ? nullptr : &f->info();
}

const FlowFilter* Daemon::filterOf(uint64_t connId) const {
  Flow* f = flowById(connId);
  return f == nullptr ? nullptr : f->filter();
}

bool Daemon::runFilter(uint64_t connId,
                       const std::function<void(FlowFilter&, FlowFilter::Output&)>& step) {
  Flow* f = flowById(connId);
  if (f == nullptr || !f->hasFilter()) {
    return false;
  }
  f->runFilter(step);
  return true;
}

void Daemon::handOff(uint64_t connId, uint16_t reason, const std::string& why) {
  if (Flow* f = flowById(connId)) {
    f->handOffFilter(reason, why);
  }
}

void Daemon::reset(uint64_t connId, const std::string& why) {
  if (Flow* f = flowById(connId)) {
    f->abort(codec::ResetReason::ProtocolError, why);
  }
}

void Daemon::forEachFlow(const std::function<void(accel::FlowRecord&)>& visit) {
  flows_.forEach([&](Flow& f) { visit(f.info()); });
}

void Daemon::logFlow(const Flow& flow, const std::string& what) {
  const FlowInfo& i = flow.info();
  logInfo("flow " + std::to_string(i.connId) + " " + i.client.toString() + " -> " +
          i.server.toString() + ": " + what);
}

std::vector<FlowInfo> Daemon::flowInfos() const {
  std::vector<FlowInfo> v;
  v.reserve(flows_.size());
  flows_.forEach([&](Flow& f) {
    v.push_back(f.info());
    v.back().bufferedBytes = f.bufferedBytes();
  });  // in connection-id order
  return v;
}

nlohmann::json Daemon::reload() {
  notifySystemd("RELOADING=1");
  auto r = policy_.reloadFile(options_.configPath);
  notifySystemd("READY=1");
  if (!r.ok()) {
    logError("reload of " + options_.configPath + " refused, the running policy stays:\n" +
             r.errorText());
    return replyError("reload refused, the running policy stays:\n" + r.errorText());
  }
  limiter_.setLimits(r.value()->config().limits);
  generic_.setLedgerCapMb(r.value()->config().dre.cacheSizeMb);
  for (const auto& hook : policyHooks_) {
    hook(*r.value());
  }
  if (rulesInstalled_ && !rules_.install(interceptionSpec())) {
    logError("reload: interception rules: " + rules_.error());
  }
  std::string msg = "reloaded " + options_.configPath + " (policy generation " +
                    std::to_string(r.value()->generation()) + ")";
  logInfo(msg);
  return replyOk(msg + "\n", {{"generation", r.value()->generation()}});
}

void Daemon::buildCommands() {
  auto add = [this](std::vector<std::string> words, std::string help, auto handler) {
    commands_.add({std::move(words), std::move(help), std::move(handler)});
  };
  add({"show", "statistics", "connection"},
      "show statistics connection [optimized|pass-through] [mapi|epm|tfo] [detail]",
      [this](const std::vector<std::string>& a) -> nlohmann::json {
        ConnectionFilter filter;
        std::string e;
        if (!ConnectionFilter::parse({a.begin() + 3, a.end()}, filter, e)) {
          return replyError(e);
        }
        auto flows = flowInfos();
        auto counters = countFlows(flows, historicalFlows_, limiter_.counters());
        return replyOk(showConnections(flows, counters, filter),
                       connectionsJson(flows, counters, filter));
      });
  add({"show", "statistics", "peer-routes"}, "show statistics peer-routes",
      [this](const std::vector<std::string>&) -> nlohmann::json {
        PeerRoutesView v;
        v.routeTable = peerRouteTable_;
        if (peerRoutes_) {
          v.initialWindowSegments = peerRoutes_->settings().initialWindowSegments;
          v.routes = peerRoutes_->size();
          v.counters = peerRoutes_->counters();
        }
        return showStatisticsPeerRoutes(v);
      });
  add({"show", "statistics", "auto-discovery"}, "show statistics auto-discovery",
      [this](const std::vector<std::string>&) -> nlohmann::json {
        return showStatisticsAutoDiscovery(nfqueue_->counters());
      });
  add({"show", "accelerator"}, "show accelerator [epm|mapi|generic]",
      [this](const std::vector<std::string>& a) -> nlohmann::json {
        policy::PolicyPtr pol = policy_.current();
        const auto& c = pol->config();
        // Seed: Enabled + Running + Registered when operational; disabled in config = Shutdown.
        policy::AcceleratorStatus mapiStatus;
        mapiStatus.operationalState = c.mapi.enabled ? "Running" : "Shutdown";
        mapiStatus.registered = c.mapi.enabled;
        if (a.size() >= 3 && a[2] == "mapi") {
          return replyOk(policy::showAcceleratorMapi(c, mapiStatus),
                         policy::acceleratorMapiJson(c, mapiStatus));
        }
        std::vector<AcceleratorRow> rows;
        for (const auto& [which, p] : accelerators_) {
          auto st = p.accelerator->status();
          rows.push_back({p.accelerator->name(), st.enabled, st.state});
        }
        rows.push_back(
            {"generic", true,
             generic_.cacheOpen() ? "Running" : "Running (TFO only: DRE cache unavailable)"});
        return showAccelerators(rows, a.size() >= 3 ? a[2] : "");
      });
  add({"show", "statistics", "dre"}, "show statistics dre",
      [this](const std::vector<std::string>&) -> nlohmann::json {
        return showStatisticsDre({generic_.cacheEpoch(), totals_, generic_.ledgers()});
      });
  add({"show", "running-config"}, "show running-config",
      [this](const std::vector<std::string>&) -> nlohmann::json {
        policy::PolicyPtr pol = policy_.current();
        return replyOk(policy::showRunningConfig(pol->config()),
                       policy::configToJson(pol->config()));
      });
  add({"show", "policy-map"}, "show policy-map",
      [this](const std::vector<std::string>&) -> nlohmann::json {
        policy::PolicyPtr pol = policy_.current();
        return replyOk(policy::showPolicyMap(*pol), policy::policyMapJson(*pol));
      });
  add({"show", "class-map"}, "show class-map",
      [this](const std::vector<std::string>&) -> nlohmann::json {
        policy::PolicyPtr pol = policy_.current();
        return replyOk(policy::showClassMap(*pol), policy::classMapJson(*pol));
      });
  add({"show", "policy-engine", "application", "dynamic"}, "show policy-engine application dynamic",
      [this](const std::vector<std::string>&) -> nlohmann::json {
        policy::PolicyPtr pol = policy_.current();
        return replyOk(policy::showDynamicRules(dynamicRules_),
                       policy::dynamicRulesJson(dynamicRules_));
      });
  add({"reload"}, "reload",
      [this](const std::vector<std::string>&) -> nlohmann::json { return reload(); });
  add({"show", "device"}, "show device", [this](const std::vector<std::string>&) -> nlohmann::json {
    return showDevice({deviceId_.toString(), policy::roleName(role_), flows_.size(),
                       policy_.current()->generation()});
  });
}

nlohmann::json Daemon::handleControl(const std::vector<std::string>& a) {
  return commands_.dispatch(a);
}

}  // namespace bh::proxy
