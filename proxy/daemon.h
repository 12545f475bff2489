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
#include "dre/chunk_cache.h"
#include "dre/dre_config.h"
#include "dre/peer_ledger.h"
#include "mapi/epm_ao/epm_accelerator.h"
#include "mapi/epm_ao/epm_counters.h"
#include "mapi/mapi_ao/mapi_counters.h"
#include "proxy/control_server.h"
#include "proxy/debug_settings.h"
#include "proxy/discovery_table.h"
#include "proxy/flow.h"
#include "proxy/mapi_ao_error_log.h"
#include "proxy/mapi_association_groups.h"
#include "proxy/mapi_filter.h"
#include "proxy/nfqueue_handler.h"
#include "proxy/peer_routes.h"
#include "redirect/rule_installer.h"

namespace bh::proxy {

/// Run-time settings that are not policy: where things live on this box.
struct DaemonOptions {
  std::string configPath;
  std::optional<policy::DeviceRole> roleOverride;
  std::string controlPath = "/run/bridgehead/control.sock";
  std::string stateDir = "/var/lib/bridgehead";
  std::vector<std::string> lanInterfaces; ///< overrides the config's (tests)
  uint16_t queueNum = 0;                  ///< overrides the config's when not 0
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
/// handler, the transparent listeners, every flow, and the control socket.
class Daemon : public FlowOwner, public MapiFlowEventSink {
public:
  Daemon(DaemonOptions options, policy::PolicyPtr policy);
  ~Daemon() override;

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

  // MapiFlowEventSink
  void onMapiHandOff(FlowInfo& info, mapi::mapi_ao::HandOffReason reason,
                     const std::string& detail) override;
  mapi::mapi_ao::MapiCounters& mapiCounters() override;
  std::optional<mapi::mapi_ao::HandOffReason> onMapiJoinGroup(FlowInfo& info,
                                                              uint32_t assocGroupId) override;
  void onMapiBound(FlowInfo& info, uint32_t assocGroupId) override;
  void onMapiObjectsReleased(FlowInfo& info, ByteSpan contextHandle,
                             const std::vector<uint32_t>& handles) override;
  bool mapiGroupWritesPending(const FlowInfo& info, ByteSpan contextHandle,
                              const std::vector<uint32_t>& handles) override;
  void onMapiWritesSettled(FlowInfo& info, ByteSpan contextHandle,
                           uint32_t objectHandle) override;
  uint32_t mapiDebugMask(const FlowInfo& info) const override;
  void onMapiDebug(const FlowInfo& info, mapi::mapi_ao::MapiDebug category,
                   const std::string& line) override;

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
  /// What this box can apply: TFO always, DRE and LZ when the chunk cache is open.
  uint8_t localLimits() const;
  /// The codec for a peered flow's applied policy (identity for TFO only).
  std::unique_ptr<DataCodec> codecFor(const FlowInfo& info);
  void openDreCache();
  dre::PeerLedger& ledgerFor(const std::string& peerId);
  std::string ledgerPath(const std::string& peerId) const;
  void saveLedgers();
  void writeTransactionLog(const FlowInfo& info);
  /// Attaches the application accelerator the flow's decision asks for, if this box has it.
  void attachAccelerator(Flow& flow);
  /// The MAPI AO settings of the policy in force.
  mapi::mapi_ao::MapiAoConfig mapiConfig() const;

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
  std::unique_ptr<PeerRoutes> peerRoutes_;
  bool congestionControlWarned_ = false;
  /// The peer-route table the rules send our peer legs to (0: none), fixed at start.
  uint32_t peerRouteTable_ = 0;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<dre::ChunkCache> dreCache_;
  dre::DreConfig dreConfig_;
  std::map<std::string, std::unique_ptr<dre::PeerLedger>> ledgers_; ///< per peer device id
  dre::PeerLedger noLedger_{0, 0}; ///< LZ-only flows: the peer is assumed to hold nothing
  policy::DynamicRules dynamicRules_;
  mapi::epm_ao::DynamicRulesSink epmSink_{dynamicRules_};
  mapi::epm_ao::EpmCounters epmCounters_;
  /// The MAPI AO's accelerator-wide counters (`show statistics accelerator mapi`); each MAPI
  /// flow's own record is FlowInfo::mapi.
  mapi::mapi_ao::MapiCounters mapiCounters_;
  policy::ConnectionLimiter limiter_;
  std::map<Flow*, std::unique_ptr<Flow>> flows_;
  std::map<uint64_t, Flow*> flowsById_; ///< the same flows by connection id
  Flow* flowById(uint64_t connId) const;
  std::map<Flow*, policy::Admission> admissions_;
  std::vector<uv_tcp_t*> listeners_;
  std::vector<uv_signal_t*> signals_;
  uint64_t nextConnId_ = 1;
  uint64_t historicalFlows_ = 0;
  /// Bytes of optimized flows that have ended (LAN = original, WAN = optimized).
  struct Totals {
    uint64_t flows = 0, lanRead = 0, lanWritten = 0, wanRead = 0, wanWritten = 0;
  } totals_;
  uv_timer_t* saveTimer_ = nullptr;
  /// Codec flushes wait for a pause in the flow's input (kFlushIdleMs without new bytes), so a
  /// burst is chunked as one stream however the socket split it (DataCodec::flush).
  static constexpr uint64_t kFlushIdleMs = 2;
  uv_timer_t* flushTimer_ = nullptr;
  /// Seed: after an unrecoverable parse error every TCP connection between that client and
  /// server is disconnected, and the client's reconnects go to the generic AO (for
  /// kMapiGenericAfterParseErrorMs). Flows to reset wait for the next loop turn (the error is
  /// found inside one of them).
  static constexpr uint64_t kMapiGenericAfterParseErrorMs = 30ull * 60 * 1000;
  std::map<std::pair<std::string, std::string>, uint64_t> mapiGenericUntil_;
  std::vector<uint64_t> mapiGroupResets_;
  /// The MAPI AO's own connection resource (accelerators.mapi.max_connections) with the
  /// reserve for association groups it accelerates (limits.reserved_mapi_connections): past
  /// it new connections go to the generic AO (overload hand-off). Groups are keyed by client
  /// and server address at connection time (the assoc_group_id is only known after the bind).
  policy::ConnectionLimiter mapiLimiter_;
  std::map<Flow*, std::pair<uint64_t, policy::Admission>> mapiAdmissions_;
  std::map<uint64_t, int> mapiGroupConnections_;
  /// The same for the connection limit (limits.*): MAPI flows holding a group reservation.
  std::map<uint64_t, int> tfoMapiGroups_;
  std::map<Flow*, uint64_t> tfoMapiGroupOf_;
  /// The edge MAPI connections by association group, and the groups whose session the AO gave
  /// up (an unsupported client): every connection of such a group goes to the generic AO, the
  /// ones open now (handed off at the next loop turn) and the ones to come.
  MapiAssociationGroups mapiGroups_;
  /// `debug accelerator mapi` and `debug connection` (exec-mode, run-time only).
  DebugSettings debug_;
  /// Their lines, for `type-tail errorlog/mapiao-errorlog.current` (the journal has them too).
  MapiAoErrorLog mapiErrorLog_;
  std::vector<std::pair<uint64_t, mapi::mapi_ao::HandOffReason>> mapiGroupHandOffs_;
  /// What a MAPI connection tells the other connections of its association group, carried
  /// out at the next loop turn (it is seen inside a flow's own step): objects it released
  /// (their read-aheads end), or its writes to an object confirmed (calls held for them go on).
  /// Bounded: past it a release reaches only its own connection, whose read-aheads of it end
  /// when that connection does; a held call is also retried when any group connection ends.
  struct GroupNotice {
    uint64_t connId = 0;
    bool writesSettled = false; ///< else a release
    Bytes contextHandle;
    std::vector<uint32_t> handles;
  };
  static constexpr size_t kMaxPendingGroupNotices = 4096;
  std::vector<GroupNotice> mapiGroupNotices_;
  /// The other edge MAPI connections of `info`'s association group; with `handedOff` also
  /// those handed to the generic AO (whose write-behind may still be unconfirmed).
  std::vector<Flow*> mapiGroupPeers(const FlowInfo& info, bool handedOff = false) const;
  void queueGroupNotice(const FlowInfo& info, bool writesSettled, ByteSpan contextHandle,
                        std::vector<uint32_t> handles);
  policy::Limits mapiLimits() const;
  uv_timer_t* groupResetTimer_ = nullptr;
  void onGroupResetTimer();
  /// Runs onGroupResetTimer at the next loop turn (group actions found inside a flow's step).
  void armGroupTimer();
  std::map<Flow*, uint64_t> flushPending_; ///< flow -> loop time (ms) to flush at
  void armFlushTimer();
  void onFlushTimer();
  bool stopping_ = false;
};

/// Device id from the box's first non-loopback MAC (distinct per namespace in the lab).
codec::DeviceId deriveDeviceId(const std::string& configured);

} // namespace bh::proxy
