#pragma once

#include <uv.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/connection_limiter.h"
#include "policy/dynamic_rules.h"
#include "policy/policy_holder.h"
#include "proxy/control_server.h"
#include "proxy/discovery_table.h"
#include "proxy/flow.h"
#include "proxy/nfqueue_handler.h"
#include "redirect/rule_installer.h"

namespace bh::proxy {

/// Run-time settings that are not policy: where things live on this box.
struct DaemonOptions {
  std::string configPath;
  std::optional<policy::DeviceRole> roleOverride;
  std::string controlPath = "/run/bridgehead/control.sock";
  std::string stateDir = "/var/lib/bridgehead";
  std::vector<std::string> lanInterfaces; ///< edge: interfaces facing clients (empty: any)
  uint16_t queueNum = 7;
  bool installRules = true;
};

/// The bridgehead daemon: one libuv loop owning the interception rules, the SYN-option
/// handler, the transparent listeners, every flow, and the control socket.
class Daemon : public FlowOwner {
public:
  Daemon(DaemonOptions options, policy::PolicyPtr policy);
  ~Daemon() override;

  /// Sets everything up and runs until SIGTERM/SIGINT. Returns the process exit code.
  int run();

  // FlowOwner
  void onOutboundConnected(Flow& flow, int status) override;
  bool onHello(Flow& flow, const codec::Hello& hello) override;
  bool onHelloAck(Flow& flow, const codec::HelloAck& ack) override;
  void onFlowClosed(Flow& flow) override;
  void logFlow(const Flow& flow, const std::string& what) override;

private:
  bool isEdge() const;
  bool isCore() const;
  int startListener(bool v6);
  void onAccept(uv_stream_t* listener);
  void startEdgeFlow(Flow& flow);
  void startCoreFlow(Flow& flow, const DiscoveryEntry& entry);
  void makePassThrough(Flow& flow, PassThroughReason why);
  uint8_t configuredBits(const policy::Decision& d) const;
  redirect::InterceptionSpec interceptionSpec() const;
  nlohmann::json handleControl(const std::vector<std::string>& args);
  nlohmann::json reload();
  void shutdown();
  std::vector<FlowInfo> flowInfos() const;

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
  std::unique_ptr<ControlServer> control_;
  policy::DynamicRules dynamicRules_;
  policy::ConnectionLimiter limiter_;
  std::map<Flow*, std::unique_ptr<Flow>> flows_;
  std::map<Flow*, policy::Admission> admissions_;
  std::vector<uv_tcp_t*> listeners_;
  std::vector<uv_signal_t*> signals_;
  uint64_t nextConnId_ = 1;
  uint64_t historicalFlows_ = 0;
  bool stopping_ = false;
};

/// Device id from the box's first non-loopback MAC (distinct per namespace in the lab).
codec::DeviceId deriveDeviceId(const std::string& configured);

} // namespace bh::proxy
