#pragma once

// The MAPI AO as the box sees it (accel::Accelerator): which flows it takes (its own
// connection resource with the reserve for association groups it accelerates, the seed's
// generic-AO period after an unrecoverable parse error), its halves on the flows
// (mapi_flow_filter.h), and what one connection of an association group tells the others
// (releases, settled writes, hand-offs, resets), carried out at the next loop turn. Also its
// statistics, debug switches and debug lines (the control commands it answers).

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "accel/accelerator.h"
#include "common/line_log.h"
#include "mapi/mapi_ao/association_groups.h"
#include "mapi/mapi_ao/debug_settings.h"
#include "mapi/mapi_ao/mapi_ao_types.h"
#include "mapi/mapi_ao/mapi_counters.h"
#include "mapi/mapi_ao/mapi_flow_filter.h"

namespace bh::mapi::mapi_ao {

/// What the box's policy says about the MAPI AO (translated by the box: accelerators.mapi.*).
struct MapiAcceleratorConfig {
  bool enabled = true;
  MapiAoConfig ao;
};

class MapiAccelerator : public accel::Accelerator, public MapiFlowEventSink {
 public:
  /// Seed: after an unrecoverable parse error every TCP connection between that client and
  /// server is disconnected, and the client's reconnects go to the generic AO for this long.
  static constexpr uint64_t kGenericAfterParseErrorNs = 30ull * 60 * 1000 * 1000 * 1000;
  /// Group notices waiting for the next loop turn. Past it a release reaches only its own
  /// connection, whose read-aheads of it end when that connection does; a held call is also
  /// retried when any group connection ends.
  static constexpr size_t kMaxPendingGroupNotices = 4096;

  /// @param admission the MAPI AO's own connection resource (accelerators.mapi.max_connections
  ///        with limits.reserved_mapi_connections for its groups); outlives this.
  MapiAccelerator(accel::Host& host, accel::Admission& admission, MapiAcceleratorConfig config);
  ~MapiAccelerator() override;

  void setConfig(const MapiAcceleratorConfig& config) { config_ = config; }
  const MapiAcceleratorConfig& config() const { return config_; }
  MapiCounters& counters() { return counters_; }
  const MapiAssociationGroups& groups() const { return groups_; }
  const LineLog& errorLog() const { return errorLog_; }

  // accel::Accelerator
  const char* name() const override { return "mapi"; }
  bool halves() const override { return true; }
  /// Outlook's connections of one session share an association group: the box reserves per
  /// group (limits.reserved_mapi_connections, mapi_reserve_per_group).
  bool reservesByGroup() const override { return true; }
  accel::Attachment attach(accel::FlowRecord& flow) override;
  accel::Attachment attachPeerHalf(accel::FlowRecord& flow) override;
  /// Yes for a connection that opens with a bind eMAPI opens (Kerberos or SPNEGO at packet
  /// integrity or privacy) when this box has a protection provider: its keys may cross only a
  /// secured leg (mapi/README.md).
  accel::SecureLegNeed secureLegNeed(ByteSpan firstBytes) const override;
  void onOverload(const accel::FlowRecord& flow, bool groupKnown) override;
  void onFlowClosed(accel::FlowRecord& flow, const accel::FlowFilter* filter) override;
  void runPending() override;
  Status status() const override;
  std::vector<accel::ControlCommand> commands() override;
  /// errorlog/mapiao-errorlog.current, the seed's name for the MAPI AO's debug lines.
  std::vector<accel::NamedLog> logs() const override;
  accel::MetricFamilies metrics() const override;

  // MapiFlowEventSink: what the flows' MAPI halves tell it (mapi_flow_filter.h).
  void onMapiHandOff(accel::FlowRecord& info, HandOffReason reason,
                     const std::string& detail) override;
  MapiCounters& mapiCounters() override { return counters_; }
  std::optional<HandOffReason> onMapiJoinGroup(accel::FlowRecord& info,
                                               uint32_t assocGroupId) override;
  void onMapiBound(accel::FlowRecord& info, uint32_t assocGroupId) override;
  void onMapiObjectsReleased(accel::FlowRecord& info, ByteSpan contextHandle,
                             const std::vector<uint32_t>& handles) override;
  bool mapiGroupWritesPending(const accel::FlowRecord& info, ByteSpan contextHandle,
                              const std::vector<uint32_t>& handles) override;
  void onMapiWritesSettled(accel::FlowRecord& info, ByteSpan contextHandle,
                           uint32_t objectHandle) override;
  uint64_t nowNs() const override { return host_.nowNs(); }
  uint32_t mapiDebugMask(const accel::FlowRecord& info) const override;
  void onMapiDebug(const accel::FlowRecord& info, MapiDebug category,
                   const std::string& line) override;
  void onMapiProtectionEvent(accel::FlowRecord& info, const std::string& line) override;

  /// eMAPI: what opens Kerberos-sealed associations (the box's; outlives this). Null: protected
  /// binds are handed off to the generic AO, as before eMAPI.
  void setProtectionProvider(ProtectionProvider* provider) { protection_ = provider; }

 private:
  /// The other edge MAPI connections of `info`'s association group; with `handedOff` also
  /// those handed to the generic AO (whose write-behind may still be unconfirmed).
  std::vector<uint64_t> groupPeers(const accel::FlowRecord& info, bool handedOff = false);
  void queueGroupNotice(const accel::FlowRecord& info, bool writesSettled, ByteSpan contextHandle,
                        std::vector<uint32_t> handles);
  /// A connection of client and server's MAPI service is admitted against the resource
  /// (keyed by client and server: the assoc_group_id is only known after the bind).
  bool admit(accel::FlowRecord& flow);

  accel::Host& host_;
  accel::Admission& admission_;
  ProtectionProvider* protection_ = nullptr;
  MapiAcceleratorConfig config_;
  /// Accelerator-wide counters (`show statistics accelerator mapi`); each flow's own record is
  /// its MapiFlowRecord.
  MapiCounters counters_;
  /// Admitted connections per client/server pair: a pair with some may use the reserve.
  std::map<uint64_t, int> pairConnections_;
  /// Client/server pairs whose connections go to the generic AO until then (ns).
  std::map<std::pair<std::string, std::string>, uint64_t> genericUntil_;
  /// The edge MAPI connections by association group, and the groups whose session the AO gave
  /// up (an unsupported client): every connection of such a group goes to the generic AO.
  MapiAssociationGroups groups_;
  /// `debug accelerator mapi` and `debug connection` (exec-mode, run-time only).
  DebugSettings debug_;
  /// Their lines, for `type-tail errorlog/mapiao-errorlog.current` (the journal has them too).
  LineLog errorLog_;
  /// What a connection tells the other connections of its group, carried out at the next loop
  /// turn (it is seen inside a flow's own step): objects it released (their read-aheads end),
  /// or its writes to an object confirmed (calls held for them go on).
  struct GroupNotice {
    uint64_t connId = 0;
    bool writesSettled = false;  ///< else a release
    Bytes contextHandle;
    std::vector<uint32_t> handles;
  };
  std::vector<GroupNotice> notices_;
  std::vector<std::pair<uint64_t, HandOffReason>> handOffs_;
  std::vector<uint64_t> resets_;
};

}  // namespace bh::mapi::mapi_ao
