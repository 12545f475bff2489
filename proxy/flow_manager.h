#pragma once

// Every flow of the box, from accept to close: classification (once, at accept, or when the
// core answered the edge's SYN), admission against the box's connection limits, the outbound
// leg, auto-discovery's outcome (peered or pass-through), the Hello exchange, the generic
// accelerator's codec and the application accelerator's filter, the codec flushes, and the
// flow's end (its records, the transaction log, the totals). It owns the flow table and is the
// accelerators' accel::Host. The box part (proxy/daemon.h) sets it up and feeds it accepted
// connections; it keeps no sockets of its own but the flows'.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "accel/accelerator.h"
#include "policy/connection_limiter.h"
#include "policy/dynamic_rules.h"
#include "policy/policy_holder.h"
#include "proxy/control/show_dre.h"
#include "proxy/discovery/discovery_table.h"
#include "proxy/flow.h"
#include "proxy/flow_table.h"
#include "proxy/generic/generic_accelerator.h"
#include "proxy/memory_budget.h"
#include "proxy/wan_secure/wan_secure_service.h"
#include "redirect/peer_routes.h"

namespace bh::proxy {

class FlowManager : public FlowOwner, public accel::Host {
 public:
  struct Settings {
    policy::DeviceRole role = policy::DeviceRole::Edge;
    codec::DeviceId deviceId;
    /// The transaction log (tfo.log) is written here.
    std::string stateDir;
    /// Overrides peering.wan_bandwidth_kbit when set (the lab paces to its WAN).
    std::optional<uint32_t> wanBandwidthKbit;
  };
  /// An accelerator plugged in (box/box.cc registers them) and its id in the peer protocol.
  struct Plugged {
    accel::Accelerator* accelerator = nullptr;
    codec::Accelerator wireId = codec::Accelerator::None;
  };

  /// Everything passed by reference outlives the manager.
  FlowManager(uv_loop_t* loop, Settings settings, const policy::PolicyHolder& policy,
              policy::DynamicRules& dynamicRules, GenericAccelerator& generic,
              DiscoveryTable& edgeTable, DiscoveryTable& coreTable);

  /// Flows whose decision names `which` are offered to `accelerator`.
  void registerAccelerator(policy::Accelerator which, codec::Accelerator wireId,
                           accel::Accelerator& accelerator);
  const std::map<policy::Accelerator, Plugged>& accelerators() const { return accelerators_; }
  /// WAN secure (nullptr: every peer leg in clear, no Secure flag asked or answered).
  void setWanSecure(WanSecureService* secure) { secure_ = secure; }
  /// Plaintext bytes sealed and opened by the peer legs of live flows (the ended ones are in
  /// the service's totals).
  std::pair<uint64_t, uint64_t> liveSecureBytes() const;
  /// The peer routes peer legs start on (nullptr: none).
  void setPeerRoutes(redirect::PeerRoutes* routes) { peerRoutes_ = routes; }
  /// The box's connection limits and memory budget (limits.*), at start and after a reload.
  void setLimits(const policy::Limits& limits);
  /// What every flow buffers, charged to one budget (proxy/memory_budget.h).
  const MemoryBudget& memoryBudget() const { return budget_; }

  /// Starts the flush and wake timers (the loop runs from here on).
  void start();
  /// The box is stopping: the timers go, accelerators queue no more work.
  void stop();
  /// Resets every open flow (the box cannot carry them further).
  void resetAll();
  /// Edge: the outbound SYN of the client flow `flow` came back in (a router redirects the
  /// box's own traffic back to it): the flow is reset (its outbound leg can never connect, and
  /// the looped packets would meet its client-facing socket). False if no such flow waits.
  bool resetRedirectLoop(const policy::FlowKey& flow);

  /// The listener has a connection: it becomes a flow.
  void onAccept(uv_stream_t* listener);
  /// Core: an edge's SYN for `flow` asks for `requested` (codec::PolicyBits). Classifies the
  /// flow (the decision is kept in `entry` for the accepted flow) and returns what this box
  /// answers in its SYN-ACK.
  uint8_t answerPeerSyn(const policy::FlowKey& flow, uint8_t requested, DiscoveryEntry& entry);

  /// Every live flow's record with what it buffers now, in connection-id order.
  std::vector<FlowInfo> flowInfos() const;
  size_t size() const { return flows_.size(); }
  uint64_t historicalFlows() const { return historicalFlows_; }
  const policy::LimiterCounters& limiterCounters() const { return limiter_.counters(); }
  /// Bytes of the optimized flows that have ended.
  const EndedFlowTotals& totals() const { return totals_; }
  FlowTable<Flow>& table() { return flows_; }

  // FlowOwner
  void onOutboundConnected(Flow& flow, int status) override;
  bool onHello(Flow& flow, const codec::Hello& hello) override;
  bool onHelloAck(Flow& flow, const codec::HelloAck& ack) override;
  void onPeerFallback(Flow& flow) override;
  void onFlowClosed(Flow& flow) override;
  void onSecureLegOpen(Flow& flow, int leg) override;
  void onSecureLegFailed(Flow& flow, int leg, bool confirmed) override;
  void onOutboundDropped(Flow& flow) override;
  void onFirstFlight(Flow& flow, ByteSpan bytes, bool ended) override;
  bool onPeerStartsTls(Flow& flow, int leg) override;
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
  /// peering.wan_bandwidth_kbit, or the command line's override.
  uint32_t wanBandwidthKbit() const;
  /// A peer leg to or from `peer` starts: give later legs the large initial window.
  void preparePeerRoute(const IpAddress& peer);
  /// TFO options on the peer leg `leg` of `flow` (proxy/sockets.h).
  void tunePeerLegOf(Flow& flow, int leg);
  void startEdgeFlow(Flow& flow);
  void startCoreFlow(Flow& flow, const DiscoveryEntry& entry);
  void makePassThrough(Flow& flow, PassThroughReason why);
  /// Attaches the application accelerator the flow's decision asks for, if this box has it.
  void attachAccelerator(Flow& flow);
  /// The accelerator registered for a decision / a Hello's wire id, or nullptr.
  const Plugged* plugged(policy::Accelerator which) const;
  const Plugged* plugged(codec::Accelerator wireId) const;
  Flow* flowById(uint64_t connId) const { return flows_.flow(connId); }
  void onWakeTimer();
  /// Samples what every flow buffers and resets the largest holders over the budget.
  void onBudgetTimer();
  void armFlushTimer();
  void onFlushTimer();
  /// WAN secure: counts a failure with `peer` and logs what the once-per-reason and
  /// consecutive-failure rules let through.
  void noteSecureFailure(const std::string& peer, const std::string& name,
                         const std::string& detail);
  /// Edge: a secured leg failed before the core confirmed it: the flow goes on as
  /// pass-through on a new outbound leg.
  void onSecureFallback(Flow& flow);
  /// Reconnects the outbound legs of flows handed off after a WAN secure failure.
  void onFallbackTimer();
  /// Edge: a flow whose `auto` leg failed asks the core again, offering no WAN secure.
  void rediscoverWithoutWanSecure(Flow& flow);
  /// Edge: sends the Hello and starts relaying, the peer leg secured (TLS first) or in clear.
  void startEdgePeerLeg(Flow& flow, bool secured);
  /// Edge, both ends `auto`: flows whose client has not yet said whether the leg needs WAN
  /// secure start in clear once their wait is over.
  void expireFirstFlights(uint64_t nowNs);

  uv_loop_t* loop_;
  Settings settings_;
  const policy::PolicyHolder& policy_;
  policy::DynamicRules& dynamicRules_;
  GenericAccelerator& generic_;
  DiscoveryTable& edgeTable_;
  DiscoveryTable& coreTable_;
  redirect::PeerRoutes* peerRoutes_ = nullptr;
  bool congestionControlWarned_ = false;
  std::map<policy::Accelerator, Plugged> accelerators_;
  policy::ConnectionLimiter limiter_;
  /// Every flow with its per-flow records (admission, group, flush).
  FlowTable<Flow> flows_;
  uint64_t nextConnId_ = 1;
  uint64_t historicalFlows_ = 0;
  EndedFlowTotals totals_;
  /// Codec flushes wait for a pause in the flow's input (kFlushIdleMs without new bytes), so a
  /// burst is chunked as one stream however the socket split it (DataCodec::flush). At least 1:
  /// libuv 1.44 runs a 0 ms timer re-armed in its own callback again in the same timer phase,
  /// and a flow whose flush is deferred (more input waiting) then never lets the loop poll. At 1
  /// ms the MAPI bench's warm workloads took no less time (docs/ARCHITECTURE.md, step 4a).
  static constexpr uint64_t kFlushIdleMs = 2;
  uv_timer_t* flushTimer_ = nullptr;
  /// Runs the accelerators' pending work at the next loop turn (accel::Host::wake).
  uv_timer_t* wakeTimer_ = nullptr;
  /// The memory budget is sampled this often: new flows are admitted on the last sample, and a
  /// flow grows by at most its caps between two (a read-ahead window at LAN speed is the most).
  static constexpr uint64_t kBudgetSampleMs = 100;
  MemoryBudget budget_;
  uv_timer_t* budgetTimer_ = nullptr;
  WanSecureService* secure_ = nullptr;
  /// An edge flow whose secured leg failed before the core confirmed it reconnects this long
  /// after its reset leg closed, so the core has let go of the old server connection (same
  /// 4-tuple) before the new SYN arrives.
  static constexpr uint64_t kFallbackSettleMs = 100;
  uv_timer_t* fallbackTimer_ = nullptr;
  std::vector<std::pair<uint64_t, uint64_t>> fallbackDue_;  ///< (due ms, connection id)
  /// Edge, both ends `auto` (leg_security.h PerFlow): connection id -> when its wait for the
  /// client's first bytes ends. A DCE/RPC client speaks first (its bind), at once; the wait is
  /// for what else a class may carry.
  std::map<uint64_t, uint64_t> firstFlights_;
  static constexpr uint64_t kFirstFlightWaitMs = 1000;
  /// The most the edge reads before deciding (a Kerberos bind with a large PAC fits; a
  /// client that sends more without deciding gets a clear leg).
  static constexpr size_t kMaxFirstFlight = 64 * 1024;
  bool stopping_ = false;
};

}  // namespace bh::proxy
