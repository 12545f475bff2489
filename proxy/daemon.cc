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
#include "proxy/control/show_memory.h"
#include "proxy/control/show_peering.h"
#include "proxy/generic/dre_data_codec.h"
#include "proxy/log.h"
#include "proxy/privileges.h"
#include "proxy/sockets.h"

namespace bh::proxy {

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
      flows_(&loop_, {role_, deviceId_, options_.stateDir, options_.wanBandwidthKbit}, policy_,
             dynamicRules_, generic_, edgeTable_, coreTable_) {
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
  flows_.start();
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
        auto flows = flows_.flowInfos();
        auto counters = countFlows(flows, flows_.historicalFlows(), flows_.limiterCounters());
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
        for (const auto& [which, p] : flows_.accelerators()) {
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
        return showStatisticsDre({generic_.cacheEpoch(), flows_.totals(), generic_.ledgers()});
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
  add({"show", "statistics", "memory"}, "show statistics memory",
      [this](const std::vector<std::string>&) -> nlohmann::json {
        return showStatisticsMemory(flows_.memoryBudget());
      });
  add({"show", "device"}, "show device", [this](const std::vector<std::string>&) -> nlohmann::json {
    return showDevice({deviceId_.toString(), policy::roleName(role_), flows_.size(),
                       policy_.current()->generation()});
  });
}

nlohmann::json Daemon::handleControl(const std::vector<std::string>& a) {
  return commands_.dispatch(a);
}

}  // namespace bh::proxy
