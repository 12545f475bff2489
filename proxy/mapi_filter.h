#pragma once

// The MAPI AO in a flow's chain: adapters from the pure halves in mapi/mapi_ao to FlowFilter,
// and the events they raise (hand-off log lines as the seed's syslog shows them, the flow's
// Accel letters, the accelerator's counters).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mapi/mapi_ao/core_mapi_ao.h"
#include "mapi/mapi_ao/edge_mapi_ao.h"
#include "mapi/mapi_ao/mapi_counters.h"
#include "proxy/flow.h"
#include "proxy/flow_info.h"

namespace bh::proxy {

/// Where a MAPI flow's events go; outlives the flow's filter (owned by the daemon).
class MapiFlowEventSink {
public:
  virtual ~MapiFlowEventSink() = default;
  /// One of a flow's events; `info` is the flow's own record (may be updated).
  virtual void onMapiHandOff(FlowInfo& info, mapi::mapi_ao::HandOffReason reason,
                             const std::string& detail) = 0;
  virtual mapi::mapi_ao::MapiCounters& mapiCounters() = 0;
  /// Association groups (edge): a group this connection joins / the group the server put it in.
  virtual std::optional<mapi::mapi_ao::HandOffReason> onMapiJoinGroup(FlowInfo& info,
                                                                      uint32_t assocGroupId) = 0;
  virtual void onMapiBound(FlowInfo& info, uint32_t assocGroupId) = 0;
  /// The client released these objects of session `contextHandle` on this connection (edge):
  /// the group's other connections are to stop their read-aheads of them
  /// (releaseMapiObjects).
  virtual void onMapiObjectsReleased(FlowInfo& info, ByteSpan contextHandle,
                                     const std::vector<uint32_t>& handles) = 0;
  /// Write-behind across the group's connections (mapi_ao::MapiAoEvents::groupWritesPending):
  /// whether another edge connection of the group has unconfirmed writes to these objects or
  /// an unconfirmed release in that session (mapiBlocksGroupCall).
  virtual bool mapiGroupWritesPending(const FlowInfo& info, ByteSpan contextHandle,
                                      const std::vector<uint32_t>& handles) = 0;
  /// The `debug accelerator mapi` categories on for this flow (proxy/debug_settings.h).
  virtual uint32_t mapiDebugMask(const FlowInfo& info) const = 0;
  /// One debug line of this flow's AO: to the daemon's log and the in-memory
  /// errorlog/mapiao-errorlog.current (proxy/mapi_ao_error_log.h).
  virtual void onMapiDebug(const FlowInfo& info, mapi::mapi_ao::MapiDebug category,
                           const std::string& line) = 0;
  /// This connection's writes to the object were all confirmed: calls of the group's other
  /// connections held for them may go on (retryMapiGroupHold).
  virtual void onMapiWritesSettled(FlowInfo& info, ByteSpan contextHandle,
                                   uint32_t objectHandle) = 0;
};

std::unique_ptr<FlowFilter> makeEdgeMapiFilter(const mapi::mapi_ao::MapiAoConfig& config,
                                               FlowInfo& info, MapiFlowEventSink& sink);
std::unique_ptr<FlowFilter> makeCoreMapiFilter(const mapi::mapi_ao::MapiAoConfig& config,
                                               FlowInfo& info, MapiFlowEventSink& sink);

/// Tells an edge MAPI filter that another connection of its group released these objects
/// (mapi_ao::EdgeMapiAo::releaseObjects). Any other filter: nothing.
void releaseMapiObjects(FlowFilter& filter, ByteSpan contextHandle,
                        const std::vector<uint32_t>& handles, FlowFilter::Output& out);
/// An edge MAPI filter's unconfirmed writes to these objects (mapi_ao::EdgeMapiAo::
/// writesPending; an empty `contextHandle`: any). Any other filter: false.
bool mapiWritesPending(const FlowFilter& filter, ByteSpan contextHandle,
                       const std::vector<uint32_t>& handles);
/// Whether a call of another connection of the group must wait for this one
/// (mapi_ao::EdgeMapiAo::blocksGroupCall). Any other filter: false.
bool mapiBlocksGroupCall(const FlowFilter& filter, ByteSpan contextHandle,
                         const std::vector<uint32_t>& handles);
/// Another connection's writes were confirmed (mapi_ao::EdgeMapiAo::retryGroupHold).
void retryMapiGroupHold(FlowFilter& filter, FlowFilter::Output& out);

} // namespace bh::proxy
