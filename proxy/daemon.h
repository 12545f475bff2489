#pragma once

#include <uv.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "accel/accelerator.h"
#include "policy/dynamic_rules.h"
#include "policy/policy_holder.h"
#include "proxy/control/command_table.h"
#include "proxy/control/control_server.h"
#include "proxy/control/show_peering.h"
#include "proxy/control/show_wan_secure.h"
#include "proxy/discovery/discovery_table.h"
#include "proxy/discovery/nfqueue_handler.h"
#include "proxy/encryption_service/encryption_service_host.h"
#include "proxy/flow_manager.h"
#include "proxy/generic/generic_accelerator.h"
#include "proxy/metrics/metrics_server.h"
#include "proxy/wan_secure/ocsp_revocation_checker.h"
#include "proxy/wan_secure/wan_secure_service.h"
#include "redirect/peer_routes.h"
#include "redirect/rule_installer.h"
#include "redirect/wccp_agent.h"

namespace bh::proxy {

/// Run-time settings that are not policy: where things live on this box.
struct DaemonOptions {
  std::string configPath;
  std::optional<policy::DeviceRole> roleOverride;
  std::string controlPath = "/run/bridgehead/control.sock";
  std::string stateDir = "/var/lib/bridgehead";
  std::vector<std::string> lanInterfaces;  ///< overrides the config's (tests)
  uint16_t queueNum = 0;                   ///< overrides the config's when not 0
  /// Overrides peering.initial_window_segments when set (the lab sizes it to its WAN).
  std::optional<uint32_t> initialWindowSegments;
  /// Overrides peering.wan_bandwidth_kbit when set (the lab paces to its WAN).
  std::optional<uint32_t> wanBandwidthKbit;
  bool installRules = true;
  /// Unprivileged user the daemon becomes after setup (keeping CAP_NET_ADMIN/CAP_NET_RAW);
  /// empty: "bridgehead" if that user exists, else "nobody". Ignored when not started as root.
  std::string user;
};

/// The box part of the bridgehead daemon: one libuv loop; setup (transparent listeners, the
/// SYN-option handler, interception rules, peer routes, the control socket), privileges,
/// signals, reload, shutdown. It only wires the others: every flow is the flow manager's
/// (proxy/flow_manager.h), the generic accelerator is proxy/generic/, the show commands render
/// in proxy/control/. Application accelerators plug in through accel::Accelerator (the box
/// registers them, box/box.h).
class Daemon {
 public:
  Daemon(DaemonOptions options, policy::PolicyPtr policy);
  ~Daemon();

  /// Flows whose decision names `which` are offered to `accelerator` (which outlives the
  /// daemon's loop); `wireId` names it in the peer protocol's Hello. Its commands join the
  /// control socket's. Before run().
  void registerAccelerator(policy::Accelerator which, codec::Accelerator wireId,
                           accel::Accelerator& accelerator);
  /// Called with the new policy after every accepted reload (the box re-translates what its
  /// accelerators take from it).
  /// A log of the box's own (the encryption service's sr-errorlog) that `type-tail` reads, beside
  /// the accelerators' logs. `log` outlives the daemon's loop. Before run().
  void registerLog(accel::NamedLog log);
  void onPolicyChanged(std::function<void(const policy::Policy&)> hook) {
    policyHooks_.push_back(std::move(hook));
  }
  policy::PolicyPtr policy() const { return policy_.current(); }
  /// The dynamic rules (EPM AO) the classifier consults.
  policy::DynamicRules& dynamicRules() { return dynamicRules_; }
  /// The encryption service (core role): eMAPI's service keys come from here.
  EncryptionServiceHost& encryptionService() { return encryption_; }
  /// The flows; the accelerators' accel::Host.
  FlowManager& flows() { return flows_; }
  /// WAN secure: the box plugs its OCSP transport in here (setRevocationChecker) before run().
  WanSecureService& wanSecure() { return wanSecure_; }
  /// The control socket's command table (bridgehead --list-commands prints its rows).
  const CommandTable& commands() const { return commands_; }
  /// One scrape of the metrics listener: every show statistics figure, exposition format
  /// (proxy/daemon_metrics.cc).
  std::string metricsText();

  /// Sets everything up and runs until SIGTERM/SIGINT. Returns the process exit code.
  int run();
  /// Removes the interception rules this configuration would install (stale ones after a
  /// crash); nothing else. Returns the process exit code.
  int removeRules();

 private:
  bool isEdge() const;
  bool isCore() const;
  uint32_t initialWindowSegments() const;
  void pinPeerRouteTable();
  int startListener(bool v6);
  redirect::InterceptionSpec interceptionSpec() const;
  void handleControl(const std::vector<std::string>& args, ControlServer::Reply reply);
  /// `accelerator mapi verify encryption-settings`, answered later (proxy/daemon_verify.cc).
  void verifyEncryptionSettings(const std::vector<std::string>& args,
                                accel::ControlCommand::Reply reply);
  nlohmann::json reload();
  void shutdown();
  /// The box's own rows of the command table (proxy/daemon_commands.cc).
  void buildCommands();
  /// The `type-tail` row, its help naming every registered log.
  void setTypeTailCommand();
  /// The peer-route figures (show statistics peer-routes and the metrics read the same view).
  PeerRoutesView peerRoutesView() const;
  /// The seed's "WAN Secure:" table from the running configuration and the service.
  WanSecureTableView wanSecureTable() const;
  /// Opens the secure store and makes the TLS contexts (as root, before privileges drop).
  void startWanSecure();
  /// Plugs the OCSP transport into WAN secure (peer_cert_verify with OCSP on).
  void startOcspChecker(const policy::WanSecureConfig& w);
  /// Opens the metrics listener when metrics.listen is set; false when it cannot.
  bool startMetrics();

  DaemonOptions options_;
  policy::PolicyHolder policy_;
  policy::DeviceRole role_;
  codec::DeviceId deviceId_;
  uv_loop_t loop_{};
  redirect::ProcessRunner runner_;
  redirect::RuleInstaller rules_{runner_};
  bool rulesInstalled_ = false;
  DiscoveryTable edgeTable_{16384, 30'000'000'000ULL};
  DiscoveryTable coreTable_{16384, 30'000'000'000ULL};
  std::unique_ptr<NfqueueHandler> nfqueue_;
  std::unique_ptr<redirect::PeerRoutes> peerRoutes_;
  /// interception.mode wccp: the WCCPv2 agent (membership, GRE into the TPROXY rules).
  std::unique_ptr<redirect::WccpAgent> wccp_;
  /// The peer-route table the rules send our peer legs to (0: none), fixed at start.
  uint32_t peerRouteTable_ = 0;
  std::unique_ptr<ControlServer> control_;
  /// What `type-tail` reads: the registered accelerators' logs and the box's own.
  std::vector<accel::NamedLog> logs_;
  /// WAN secure: the store, the identity, the TLS contexts, the counters.
  WanSecureService wanSecure_;
  /// Its OCSP transport when peer_cert_verify and OCSP are on, and the trust anchors the
  /// responses must chain to (proxy/wan_secure/ocsp_revocation_checker.h).
  secure::X509StorePtr ocspAnchors_;
  std::unique_ptr<OcspRevocationChecker> ocspChecker_;
  /// The encryption service (core): the Exchange servers' keys, its sr-errorlog and commands.
  EncryptionServiceHost encryption_{&loop_};
  /// The generic accelerator (TFO, DRE, LZ on every peered flow).
  GenericAccelerator generic_;
  policy::DynamicRules dynamicRules_;
  /// The control socket's one command table: the box's own commands and its accelerators'
  /// (words, help text, handler; a later issue generates bash completion and the man page
  /// from it).
  CommandTable commands_;
  std::vector<std::function<void(const policy::Policy&)>> policyHooks_;
  /// Every flow, from accept to close (declared after what it refers to).
  FlowManager flows_;
  std::vector<uv_tcp_t*> listeners_;
  std::vector<uv_signal_t*> signals_;
  /// The Prometheus listener (metrics.listen), or nullptr.
  std::unique_ptr<metrics::MetricsServer> metrics_;
  /// Saves the DRE ledgers and expires dynamic rules every 30 s.
  uv_timer_t* saveTimer_ = nullptr;
  bool stopping_ = false;
};

}  // namespace bh::proxy
