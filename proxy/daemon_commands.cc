// The box's own rows of the control socket's command table (the accelerators add theirs when
// registered): each handler gathers plain data and hands it to its renderer in proxy/control/.

#include <ctime>

#include "policy/show_accelerator.h"
#include "policy/show_dynamic_rules.h"
#include "policy/show_policy_map.h"
#include "policy/show_running_config.h"
#include "proxy/control/reply.h"
#include "proxy/control/show_accelerators.h"
#include "proxy/control/show_connections.h"
#include "proxy/control/show_device.h"
#include "proxy/control/show_dre.h"
#include "proxy/control/show_memory.h"
#include "proxy/control/show_peering.h"
#include "proxy/control/show_wan_secure.h"
#include "proxy/control/show_wccp.h"
#include "proxy/daemon.h"
#include "proxy/wan_secure/certificate_rows.h"

namespace bh::proxy {

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
        return showStatisticsPeerRoutes(peerRoutesView());
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
          WanSecureTableView w = wanSecureTable();
          nlohmann::json j = policy::acceleratorMapiJson(c, mapiStatus);
          j["wan_secure"] = wanSecureTableJson(w);
          return replyOk(policy::showAcceleratorMapi(c, mapiStatus) + wanSecureTableText(w), j);
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
  add({"show", "statistics", "wan-secure"}, "show statistics wan-secure",
      [this](const std::vector<std::string>&) -> nlohmann::json {
        WanSecureStatsView v;
        v.available = wanSecure_.available();
        v.unavailableReason = wanSecure_.unavailableReason();
        v.totals = wanSecure_.stats().totals();
        auto [sealed, opened] = flows_.liveSecureBytes();
        v.totals.bytesSealed += sealed;
        v.totals.bytesOpened += opened;
        v.peers = wanSecure_.stats().peers();
        if (ocspChecker_) {
          // The checker's own settings: they are read at start (a reload does not change them).
          const secure::OcspSettings& s = ocspChecker_->settings();
          const auto& c = ocspChecker_->counters();
          OcspStatsView o;
          o.responder = s.url.empty() ? "each certificate's AIA" : s.url;
          o.timeoutMs = s.timeoutMs;
          o.unreachable = s.unreachable == secure::OcspUnreachablePolicy::FailOpen ? "fail_open"
                                                                                   : "fail_closed";
          o.checks = c.checks;
          o.cacheHits = c.cacheHits;
          o.coalesced = c.coalesced;
          o.requests = c.requests;
          o.connections = c.connections;
          o.overCap = c.overCap;
          o.cachedAnswers = ocspChecker_->cache().size();
          v.ocsp = o;
        }
        return showStatisticsWanSecure(v);
      });
  add({"show", "crypto", "certificates"}, "show crypto certificates",
      [this](const std::vector<std::string>&) -> nlohmann::json {
        std::vector<CertificateRow> rows;
        if (const secure::PeeringIdentity* id = wanSecure_.identity()) {
          rows.push_back(certificateRow(id->certificate.get(), "local"));
        }
        const time_t now = std::time(nullptr);
        for (const auto& [peer, p] : wanSecure_.peerCertificates()) {
          CertificateRow r = certificateRow(p.certificate.get(), "peer " + peer);
          r.ocspStatus = p.ocspStatus;
          if (p.checkedAt != 0) {
            r.ocspAgeSeconds = static_cast<uint64_t>(now > p.checkedAt ? now - p.checkedAt : 0);
          }
          rows.push_back(std::move(r));
        }
        return showCryptoCertificates(rows);
      });
  add({"show", "secure-store"}, "show secure-store",
      [this](const std::vector<std::string>&) -> nlohmann::json {
        SecureStoreView v = wanSecure_.storeView();
        return showSecureStore({v.path, v.state, v.reason, v.keySource,
                                policy_.current()->config().wanSecure.anySecured()});
      });
  add({"show", "wccp"}, "show wccp status|services|routers|clients|masks|gre|statistics",
      [this](const std::vector<std::string>& a) -> nlohmann::json {
        redirect::WccpStatus st;
        if (wccp_) {
          st = wccp_->status();
        }
        return showWccp(st, a.size() >= 3 ? a[2] : "status");
      });
  // Deferred: it waits on DNS, the KDCs and key retrievals off the loop.
  commands_.add({{"accelerator", "mapi", "verify"},
                 "accelerator mapi verify encryption-settings [FQDN...]",
                 nullptr,
                 [this](const std::vector<std::string>& a, accel::ControlCommand::Reply reply) {
                   verifyEncryptionSettings(a, std::move(reply));
                 }});
  add({"show", "device"}, "show device", [this](const std::vector<std::string>&) -> nlohmann::json {
    return showDevice({deviceId_.toString(), policy::roleName(role_), flows_.size(),
                       policy_.current()->generation()});
  });
}

void Daemon::setTypeTailCommand() {
  commands_.set({{"type-tail"},
                 accel::typeTailUsage(logs_),
                 [this](const std::vector<std::string>& a) { return accel::typeTail(logs_, a); }});
}

PeerRoutesView Daemon::peerRoutesView() const {
  PeerRoutesView v;
  v.routeTable = peerRouteTable_;
  if (peerRoutes_) {
    v.initialWindowSegments = peerRoutes_->settings().initialWindowSegments;
    v.routes = peerRoutes_->size();
    v.counters = peerRoutes_->counters();
  }
  return v;
}

WanSecureTableView Daemon::wanSecureTable() const {
  const policy::WanSecureConfig& w = policy_.current()->config().wanSecure;
  const policy::WanSecureConfig defaults;
  WanSecureTableView v;
  v.sslAo = wanSecure_.available();
  v.sslAoUser = w.anyAlways();
  v.secureStoreOpen = wanSecure_.storeView().state == "open";
  v.peerSslVersion = w.minVersion == defaults.minVersion ? "default" : w.minVersion;
  v.peerSslVersionUser = w.minVersion != defaults.minVersion;
  v.peerCipherList = w.ciphers.empty() ? "default" : w.ciphers;
  v.peerCipherListUser = !w.ciphers.empty();
  v.peerCert = w.certificate.empty() ? "default" : w.certificate;
  v.peerCertUser = !w.certificate.empty();
  v.peerCertVerify = w.peerCertVerify;
  v.peerCertVerifyUser = w.peerCertVerify != defaults.peerCertVerify;
  v.mapiMode = policy::wanSecureModeName(w.mapiMode);
  return v;
}

}  // namespace bh::proxy
