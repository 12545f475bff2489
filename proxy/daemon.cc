#include "proxy/daemon.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>

#include "proxy/control/reply.h"
#include "proxy/device_identity.h"
#include "proxy/log.h"
#include "proxy/privileges.h"
#include "proxy/sockets.h"

namespace bh::proxy {

Daemon::Daemon(DaemonOptions options, policy::PolicyPtr policy)
    : options_(std::move(options)),
      policy_(policy),
      role_(options_.roleOverride.value_or(policy->config().device.role)),
      deviceId_(deriveDeviceId(policy->config().device.id)),
      generic_(
          options_.stateDir, [](const std::string& l) { proxy::logInfo(l); },
          [](const std::string& l) { proxy::logError(l); }),
      dynamicRules_([] { return policy::MonoClock::now(); }, policy->config().epm.maxDynamicRules),
      flows_(&loop_, {role_, deviceId_, options_.stateDir, options_.wanBandwidthKbit}, policy_,
             dynamicRules_, generic_, edgeTable_, coreTable_) {
  uv_loop_init(&loop_);
  buildCommands();
  for (auto& c : encryption_.commands()) {
    commands_.add(std::move(c));
  }
  registerLog(encryption_.log());
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

uint32_t Daemon::initialWindowSegments() const {
  return options_.initialWindowSegments.value_or(
      policy_.current()->config().peering.initialWindowSegments);
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
  if (ic.mode == policy::InterceptionMode::Wccp) {
    // Redirected flows come out of the agent's TUN (GRE) or in on the box's interface with
    // only the MAC rewritten (L2): those are its LAN interfaces, nothing else.
    s.wccpTunnel = redirect::WccpAgent::kTunnelName;
    s.wccpLoopOptionKind = policy_.current()->config().peering.optionKind;
    s.lanInterfaces = {s.wccpTunnel};
    if (wccp_) {
      s.wccpMss = wccp_->mss();
      if (ic.wccp && ic.wccp->forwarding == policy::WccpMethod::L2 && !wccp_->interface().empty()) {
        s.lanInterfaces.push_back(wccp_->interface());
      }
    }
  }
  return s;
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

  if (cfg.interception.mode == policy::InterceptionMode::Wccp && cfg.interception.wccp) {
    wccp_ = std::make_unique<redirect::WccpAgent>(
        &loop_, *cfg.interception.wccp, [](const std::string& l) { logInfo(l); },
        [](const std::string& l) { logError(l); });
    if (!wccp_->open()) {
      logError("cannot start the WCCP agent: " + wccp_->error());
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
      [this](const policy::FlowKey& flow, uint8_t requested, DiscoveryEntry& entry) {
        return flows_.answerPeerSyn(flow, requested, entry);
      });
  nfqueue_->setLoopHandler([this](const policy::FlowKey& flow) {
    flows_.resetRedirectLoop(flow);
    if (wccp_) {
      wccp_->noteRedirectLoop(flow.src.toString() + ":" + std::to_string(flow.srcPort) + " -> " +
                              flow.dst.toString() + ":" + std::to_string(flow.dstPort));
    }
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
  flows_.setPeerRoutes(peerRoutes_.get());

  control_ = std::make_unique<ControlServer>(
      &loop_, [this](const std::vector<std::string>& a, ControlServer::Reply reply) {
        handleControl(a, std::move(reply));
      });
  if (int r = control_->start(options_.controlPath); r != 0) {
    logError("cannot open control socket " + options_.controlPath + ": " + uv_strerror(r));
    shutdown();
    uv_run(&loop_, UV_RUN_DEFAULT);
    return 1;
  }
  if (!startMetrics()) {
    shutdown();
    uv_run(&loop_, UV_RUN_DEFAULT);
    return 1;
  }

  startWanSecure();
  // As root: the identities' password files and keytabs are readable by root alone.
  encryption_.start(cfg, isCore(), wanSecure_.store());
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
  flows_.start();
  if (wccp_) {
    wccp_->start();  // HERE_I_AM once everything that takes the redirected flows is up
  }
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
  flows_.stop();
  if (saveTimer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(saveTimer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    saveTimer_ = nullptr;
  }
  if (wccp_) {
    wccp_->stop();  // no more HERE_I_AM: the routers remove this box within 30 s
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
  if (ocspChecker_) {
    wanSecure_.setRevocationChecker(nullptr);
    ocspChecker_.reset();  // cancels its checks; its handles close on the loop's next turn
  }
  if (metrics_) {
    metrics_->stop();
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
  flows_.resetAll();
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
        static_cast<Daemon*>(s->data)->flows_.onAccept(s);
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

void Daemon::registerAccelerator(policy::Accelerator which, codec::Accelerator wireId,
                                 accel::Accelerator& accelerator) {
  flows_.registerAccelerator(which, wireId, accelerator);
  for (auto& c : accelerator.commands()) {
    commands_.add(std::move(c));
  }
  for (auto& l : accelerator.logs()) {
    logs_.push_back(std::move(l));
  }
  setTypeTailCommand();
}

void Daemon::registerLog(accel::NamedLog log) {
  logs_.push_back(std::move(log));
  setTypeTailCommand();
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
  flows_.setLimits(r.value()->config().limits);
  {
    // The modes apply to new flows at once; identity, store and TLS settings at the next start.
    policy::WanSecureConfig w = wanSecure_.config();
    const auto& n = r.value()->config().wanSecure;
    w.mapiMode = n.mapiMode;
    w.epmMode = n.epmMode;
    w.genericMode = n.genericMode;
    wanSecure_.setConfig(w);
  }
  generic_.setLedgerCapMb(r.value()->config().dre.cacheSizeMb);
  encryption_.reload(r.value()->config());
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

void Daemon::startWanSecure() {
  const auto& cfg = policy_.current()->config();
  policy::WanSecureConfig w = cfg.wanSecure;
  // The store's default place is under the state directory (/var/lib/bridgehead/secure for
  // the packaged daemon), so boxes given their own state directory (the lab's) never share one.
  if (w.store.path == policy::WanSecureConfig{}.store.path && !options_.stateDir.empty()) {
    w.store.path = options_.stateDir + "/secure";
  }
  wanSecure_.setConfig(w);
  flows_.setWanSecure(&wanSecure_);
  // The store is opened (and at first start made, with the default identity) once a class may
  // be secured (`auto`: sealed MAPI; `always`), or the encryption service (whose key cache it
  // keeps) runs.
  if (!w.anySecured() && !(cfg.encryptionService.enabled && isCore())) {
    return;
  }
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (uid == 0) {
    std::string user = options_.user;
    if (user.empty()) {
      user = getpwnam("bridgehead") != nullptr ? "bridgehead" : "nobody";
    }
    if (passwd* pw = getpwnam(user.c_str())) {
      uid = pw->pw_uid;
      gid = pw->pw_gid;
    }
  }
  wanSecure_.start(w, cfg.device.hostname, uid, gid);
  SecureStoreView v = wanSecure_.storeView();
  logInfo("wan-secure: secure store " + v.path + " " + v.state +
          (v.reason.empty() ? "" : " (" + v.reason + ")") + ", key from " + v.keySource);
  if (!wanSecure_.available()) {
    logError("wan-secure: unavailable: " + wanSecure_.unavailableReason() +
             "; flows of `always` classes pass through, `auto` ones run in clear");
  } else if (cfg.wanSecure.peerCertVerify && cfg.wanSecure.ocsp.enabled &&
             wanSecure_.revocationChecker() == nullptr) {
    startOcspChecker(cfg.wanSecure);
  }
}

void Daemon::startOcspChecker(const policy::WanSecureConfig& w) {
  // Responses must chain to the CA bundle the peers are verified against (RFC 6960 4.2.2.2).
  ocspAnchors_.reset(X509_STORE_new());
  if (ocspAnchors_ && wanSecure_.identity() != nullptr) {
    for (const auto& ca : wanSecure_.identity()->trustAnchors) {
      X509_STORE_add_cert(ocspAnchors_.get(), ca.get());
    }
  }
  if (!ocspAnchors_) {
    logError(
        "wan-secure: cannot make the OCSP trust store: every peer is refused "
        "(revocation-unknown: no OCSP transport)");
    return;
  }
  secure::OcspSettings s;
  s.url = w.ocsp.url;
  s.timeoutMs = w.ocsp.timeoutMs;
  s.unreachable = w.ocsp.unreachable == policy::OcspUnreachable::FailOpen
                      ? secure::OcspUnreachablePolicy::FailOpen
                      : secure::OcspUnreachablePolicy::FailClosed;
  ocspChecker_ = std::make_unique<OcspRevocationChecker>(&loop_, s, ocspAnchors_.get());
  wanSecure_.setRevocationChecker(ocspChecker_.get());
  logInfo("wan-secure: peer certificates checked by OCSP (" +
          (s.url.empty() ? std::string("responder from each certificate's AIA") : s.url) +
          ", timeout " + std::to_string(s.timeoutMs) + " ms, " +
          (s.unreachable == secure::OcspUnreachablePolicy::FailOpen ? "fail_open" : "fail_closed") +
          ")");
}

void Daemon::handleControl(const std::vector<std::string>& a, ControlServer::Reply reply) {
  commands_.dispatch(a, std::move(reply));
}

}  // namespace bh::proxy
