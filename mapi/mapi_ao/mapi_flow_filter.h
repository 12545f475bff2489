#pragma once

// The MAPI AO in a flow's chain: adapters from the pure halves (edge_mapi_ao.h, core_mapi_ao.h)
// to accel::FlowFilter,
// and the events they raise (hand-off log lines as the seed's syslog shows them, the flow's
// Accel letters, the accelerator's counters).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "accel/flow_filter.h"
#include "accel/flow_record.h"
#include "mapi/dcerpc/protected_association.h"
#include "mapi/mapi_ao/core_mapi_ao.h"
#include "mapi/mapi_ao/edge_mapi_ao.h"
#include "mapi/mapi_ao/mapi_counters.h"

namespace bh::mapi::mapi_ao {

using dcerpc::ProtectedAssociation;
using dcerpc::ProtectionProvider;

/// Where a MAPI flow's events go; outlives the flow's filter (the MapiAccelerator).
class MapiFlowEventSink {
 public:
  virtual ~MapiFlowEventSink() = default;
  /// One of a flow's events; `info` is the flow's own record (may be updated).
  virtual void onMapiHandOff(accel::FlowRecord& info, HandOffReason reason,
                             const std::string& detail) = 0;
  virtual MapiCounters& mapiCounters() = 0;
  /// Association groups (edge): a group this connection joins / the group the server put it in.
  virtual std::optional<HandOffReason> onMapiJoinGroup(accel::FlowRecord& info,
                                                       uint32_t assocGroupId) = 0;
  virtual void onMapiBound(accel::FlowRecord& info, uint32_t assocGroupId) = 0;
  /// The client released these objects of session `contextHandle` on this connection (edge):
  /// the group's other connections are to stop their read-aheads of them
  /// (releaseMapiObjects).
  virtual void onMapiObjectsReleased(accel::FlowRecord& info, ByteSpan contextHandle,
                                     const std::vector<uint32_t>& handles) = 0;
  /// Write-behind across the group's connections (MapiAoEvents::groupWritesPending):
  /// whether another edge connection of the group has unconfirmed writes to these objects or
  /// an unconfirmed release in that session (mapiBlocksGroupCall).
  virtual bool mapiGroupWritesPending(const accel::FlowRecord& info, ByteSpan contextHandle,
                                      const std::vector<uint32_t>& handles) = 0;
  /// Monotonic time in nanoseconds (response times).
  virtual uint64_t nowNs() const = 0;
  /// The `debug accelerator mapi` categories on for this flow (debug_settings.h).
  virtual uint32_t mapiDebugMask(const accel::FlowRecord& info) const = 0;
  /// One debug line of this flow's AO: to the daemon's log and the in-memory
  /// errorlog/mapiao-errorlog.current (common/line_log.h).
  virtual void onMapiDebug(const accel::FlowRecord& info, MapiDebug category,
                           const std::string& line) = 0;
  /// This connection's writes to the object were all confirmed: calls of the group's other
  /// connections held for them may go on (retryMapiGroupHold).
  virtual void onMapiWritesSettled(accel::FlowRecord& info, ByteSpan contextHandle,
                                   uint32_t objectHandle) = 0;
  /// eMAPI: a protected PDU that did not verify (relayed verbatim or the flow reset), for the
  /// log with the client's address.
  virtual void onMapiProtectionEvent(accel::FlowRecord& info, const std::string& line) {
    (void)info, (void)line;
  }
};

/// The halves inside their protection layer (protected_mapi_filter.h). `protection` (may be
/// null: protected binds are then handed off) opens Kerberos-sealed associations (eMAPI).
std::unique_ptr<accel::FlowFilter> makeEdgeMapiFilter(const MapiAoConfig& config,
                                                      accel::FlowRecord& info,
                                                      MapiFlowEventSink& sink,
                                                      ProtectionProvider* protection = nullptr);
std::unique_ptr<accel::FlowFilter> makeCoreMapiFilter(const MapiAoConfig& config,
                                                      accel::FlowRecord& info,
                                                      MapiFlowEventSink& sink,
                                                      ProtectionProvider* protection = nullptr);

/// Tells an edge MAPI filter that another connection of its group released these objects
/// (EdgeMapiAo::releaseObjects). Any other filter: nothing.
void releaseMapiObjects(accel::FlowFilter& filter, ByteSpan contextHandle,
                        const std::vector<uint32_t>& handles, accel::FlowFilter::Output& out);
/// An edge MAPI filter's unconfirmed writes to these objects (EdgeMapiAo::
/// writesPending; an empty `contextHandle`: any). Any other filter: false.
bool mapiWritesPending(const accel::FlowFilter& filter, ByteSpan contextHandle,
                       const std::vector<uint32_t>& handles);
/// Whether a call of another connection of the group must wait for this one
/// (EdgeMapiAo::blocksGroupCall). Any other filter: false.
bool mapiBlocksGroupCall(const accel::FlowFilter& filter, ByteSpan contextHandle,
                         const std::vector<uint32_t>& handles);
/// Another connection's writes were confirmed (EdgeMapiAo::retryGroupHold).
void retryMapiGroupHold(accel::FlowFilter& filter, accel::FlowFilter::Output& out);

}  // namespace bh::mapi::mapi_ao
