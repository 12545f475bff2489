#pragma once

#include <uv.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "accel/accelerator.h"
#include "policy/connection_limiter.h"
#include "policy/dynamic_rules.h"
#include "policy/policy_holder.h"
#include "proxy/control/command_table.h"
#include "proxy/control/control_server.h"
#include "proxy/control/show_dre.h"
#include "proxy/discovery/discovery_table.h"
#include "proxy/discovery/nfqueue_handler.h"
#include "proxy/flow.h"
#include "proxy/flow_table.h"
#include "proxy/generic/generic_accelerator.h"
#include "redirect/peer_routes.h"
#include "redirect/rule_installer.h"

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

/// The bridgehead daemon: one libuv loop owning the interception rules, the SYN-option
/// handler, the transparent listeners, every flow, and the control socket. Application
/// accelerators plug in through accel::Accelerator (the box registers them, box/box.h).
class Daemon : public FlowOwner, public accel::Host {
 public:
  Daemon(DaemonOptions options, policy::PolicyPtr policy);
  ~Daemon() override;

  /// Flows whose decision names `which` are offered to `accelerator` (which outlives the
  /// daemon's loop); `wireId` names it in the peer protocol's Hello. Before run().
  void registerAccelerator(policy::Accelerator which, codec::Accelerator wireId,
                           accel::Accelerator& accelerator);
  /// Called with the new policy after every accepted reload (the box re-translates what its
  /// accelerators take from it).
  void onPolicyChanged(std::function<void(const policy::Policy&)> hook) {
    policyHooks_.push_back(std::move(hook));
  }
  policy::PolicyPtr policy() const { return policy_.current(); }
  /// The dynamic rules (EPM AO) the classifier consults.
  policy::DynamicRules& dynamicRules() { return dynamicRules_; }

  /// Sets everything up and runs until SIGTERM/SIGINT. Returns the process exit code.
  int run();
  /// Removes the interception rules this configuration would install (stale ones after a
  /// crash); nothing else. Returns the process exit code.
  int removeRules();

  // FlowOwner
  void onOutboundConnected(Flow& flow, int status) override;
  bool onHello(Flow& flow, const codec::Hello& hello) override;
  bool onHelloAck(Flow& flow, const codec::HelloAck& ack) override;
  void onPeerFallback(Flow& flow) override;
  void onFlowClosed(Flow& flow) override;
  void requestFlush(Flow& flow) override;
  void logFlow(const Flow& flow, const std::string& what) override;

  // accel::Host
  uint64_t nowNs() const override { return uv_hrtime(); }
  void logInfo(const std::string& line) override;
  void logError(const std::string& line) override;
  bool stopping() const override { return stopping_ || wakeTimer_ == nullptr; }
  void wake() override;
  accel::FlowRecord* findFlow(uint64_t connId) override;
  const FlowFilter* filterOf(uint64_t connId) const override;
  bool runFilter(uint64_t connId,
                 const std::function<void(FlowFilter&, FlowFilter::Output&)>& step) override;
  void handOff(uint64_t connId, uint16_t reason, const std::string& why) override;
  void reset(uint64_t connId, const std::string& why) override;
  void forEachFlow(const std::function<void(accel::FlowRecord&)>& visit) override;

 private:
  bool isEdge() const;
  bool isCore() const;
  uint32_t initialWindowSegments() const;
  /// peering.wan_bandwidth_kbit, or the command line's override.
  uint32_t wanBandwidthKbit() const;
  void pinPeerRouteTable();
  /// A peer leg to or from `peer` starts: give later legs the large initial window.
  void preparePeerRoute(const policy::IpAddress& peer);
  /// TFO options on the peer leg `leg` of `flow` (proxy/sockets.h).
  void tunePeerLegOf(Flow& flow, int leg);
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
  void writeTransactionLog(const FlowInfo& info);
  /// Attaches the application accelerator the flow's decision asks for, if this box has it.
  void attachAccelerator(Flow& flow);
  struct Plugged {
    accel::Accelerator* accelerator = nullptr;
    codec::Accelerator wireId = codec::Accelerator::None;
  };
  /// The accelerator registered for a decision / a Hello's wire id, or nullptr.
  const Plugged* plugged(policy::Accelerator which) const;
  const Plugged* plugged(codec::Accelerator wireId) const;

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
  bool congestionControlWarned_ = false;
  /// The peer-route table the rules send our peer legs to (0: none), fixed at start.
  uint32_t peerRouteTable_ = 0;
  std::unique_ptr<ControlServer> control_;
  /// The generic accelerator (TFO, DRE, LZ on every peered flow).
  GenericAccelerator generic_;
  policy::DynamicRules dynamicRules_;
  std::map<policy::Accelerator, Plugged> accelerators_;
  /// The control socket's one command table: the box's own commands and its accelerators'
  /// (words, help text, handler; a later issue generates bash completion and the man page
  /// from it).
  CommandTable commands_;
  void buildCommands();
  std::vector<std::function<void(const policy::Policy&)>> policyHooks_;
  policy::ConnectionLimiter limiter_;
  /// Every flow with its per-flow records (admission, group, flush).
  FlowTable<Flow> flows_;
  Flow* flowById(uint64_t connId) const { return flows_.flow(connId); }
  std::vector<uv_tcp_t*> listeners_;
  std::vector<uv_signal_t*> signals_;
  uint64_t nextConnId_ = 1;
  uint64_t historicalFlows_ = 0;
  /// Bytes of optimized flows that have ended (LAN = original, WAN = optimized).
  EndedFlowTotals totals_;
  uv_timer_t* saveTimer_ = nullptr;
  /// Codec flushes wait for a pause in the flow's input (kFlushIdleMs without new bytes), so a
  /// burst is chunked as one stream however the socket split it (DataCodec::flush).
  static constexpr uint64_t kFlushIdleMs = 2;
  uv_timer_t* flushTimer_ = nullptr;
  /// Runs the accelerators' pending work at the next loop turn (accel::Host::wake).
  uv_timer_t* wakeTimer_ = nullptr;
  void onWakeTimer();
  void armFlushTimer();
  void onFlushTimer();
  bool stopping_ = false;
};

/// Device id from the box's first non-loopback MAC (distinct per namespace in the lab).
codec::DeviceId deriveDeviceId(const std::string& configured);

}  // namespace bh::proxy
