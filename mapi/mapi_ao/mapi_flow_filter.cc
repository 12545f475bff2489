#include "mapi/mapi_ao/mapi_flow_filter.h"

#include <chrono>
#include <functional>
#include <map>
#include <optional>

#include "mapi/mapi_ao/mapi_flow_record.h"
#include "mapi/mapi_ao/protected_mapi_filter.h"

namespace bh::mapi::mapi_ao {

namespace {

using accel::FlowFilter;
using accel::FlowRecord;

void moveOutput(AoOutput& from, FlowFilter::Output& to) {
  to.toLocal = std::move(from.toLocal);
  to.toPeer = std::move(from.toPeer);
  to.peerCuts = std::move(from.peerCuts);
  // The halves emit whole PDUs and records only: every output ends at a message boundary.
  to.flushPeer = true;
  to.reset = from.reset;
  to.resetReason = std::move(from.resetReason);
}

/// FlowFilter::requestHandOff's code as the AO's reason.
HandOffReason handOffReasonOf(uint16_t reason) {
  return reason < kHandOffReasonCount ? static_cast<HandOffReason>(reason) : HandOffReason::Other;
}

/// Per-flow events: the connection's MapiFlowRecord on the flow's record and the accelerator's
/// counters; hand-offs also reach the sink (log lines, Accel letters). Response times are
/// measured here, where there is a clock.
class FlowEvents : public MapiAoEvents {
 public:
  FlowEvents(FlowRecord& info, MapiFlowEventSink& sink, bool reportsConnection)
      : info_(info), sink_(sink), counters_(sink.mapiCounters()), reports_(reportsConnection) {
    mapiRecordOf(info_).accelerated = true;
    record_ = std::static_pointer_cast<MapiFlowRecord>(info_.accelerator);
    if (reports_) {
      counters_.onConnectionHandled(record_->stats);
    }
  }
  ~FlowEvents() override {
    if (session_) {
      counters_.onSessionClosed(*session_);
    }
  }
  FlowEvents(const FlowEvents&) = delete;
  FlowEvents& operator=(const FlowEvents&) = delete;

  std::optional<HandOffReason> onJoinGroup(uint32_t assocGroupId) override {
    return sink_.onMapiJoinGroup(info_, assocGroupId);
  }
  void onBound(uint32_t assocGroupId) override {
    record_->stats.associationGroupId = assocGroupId;
    sink_.onMapiBound(info_, assocGroupId);
    if (reports_) {
      counters_.onOptimized(record_->stats);
    }
  }
  void onClientVersion(const mapi::emsmdb::ClientVersion& v) override {
    if (!reports_ || session_) {
      return;
    }
    session_ = v;
    counters_.onSessionOpened(v, &record_->stats);
  }
  void onHandOff(HandOffReason reason, const std::string& detail) override {
    sink_.onMapiHandOff(info_, reason, detail);
    if (reports_) {
      counters_.onHandedOff(record_->stats, reason);
    }
  }
  void onClientCall(uint32_t callId) override {
    if (calls_.size() < 64) {
      calls_[callId] = sink_.nowNs();
    }
  }
  void onLocalResponse(uint32_t callId) override {
    ++record_->localResponses;
    localPending_ = true;
    counters_.recordLocalResponse(record_->stats, elapsed(callId));
  }
  void onRemoteResponse(uint32_t callId) override {
    ++record_->remoteResponses;
    counters_.recordRemoteResponse(record_->stats, elapsed(callId));
  }
  void onReadResponse(ReadAheadKind kind, uint32_t bytes) override {
    if (localPending_) {
      localPending_ = false;
      counters_.recordReadAheadServed(record_->stats, bytes);
    }
    if (kind == ReadAheadKind::ReadStream) {
      counters_.recordReadStream(record_->stats, bytes);
    } else {
      counters_.recordSynchGetBuffer(record_->stats, bytes);
    }
  }
  void onWriteOptimized(uint32_t bytes) override {
    localPending_ = false;
    counters_.recordWriteOptimized(record_->stats, bytes);
  }
  void onReadAheadAccumulated(size_t bytes) override {
    counters_.recordReadAheadAccumulated(record_->stats, bytes);
  }
  void onObjectsReleased(ByteSpan contextHandle, const std::vector<uint32_t>& handles) override {
    sink_.onMapiObjectsReleased(info_, contextHandle, handles);
  }
  bool groupWritesPending(ByteSpan contextHandle, const std::vector<uint32_t>& handles) override {
    return sink_.mapiGroupWritesPending(info_, contextHandle, handles);
  }
  void onWriteWindowWait() override { counters_.onWriteWindowWait(); }
  void onGroupWriteWait() override { counters_.onGroupWriteWait(); }
  void onReadAheadsEndedByRelease(size_t count) override {
    for (size_t i = 0; i < count; ++i) {
      counters_.onReadAheadEndedByRelease();
    }
  }
  void onWritesSettled(ByteSpan contextHandle, uint32_t objectHandle) override {
    sink_.onMapiWritesSettled(info_, contextHandle, objectHandle);
  }
  uint32_t debugMask() const override { return sink_.mapiDebugMask(info_); }
  void onDebug(MapiDebug category, const std::string& line) override {
    sink_.onMapiDebug(info_, category, line);
  }
  void onReadAheadStarted(ReadAheadKind kind) override {
    (void)kind;
    ++record_->readAheads;
  }
  /// The AO reset the flow (a client it could not serve correctly).
  void onDropped() {
    if (reports_) {
      counters_.onDropped(record_->stats);
    }
  }

 private:
  std::chrono::microseconds elapsed(uint32_t callId) {
    auto it = calls_.find(callId);
    if (it == calls_.end()) {
      return std::chrono::microseconds(0);
    }
    auto us = std::chrono::microseconds((sink_.nowNs() - it->second) / 1000);
    calls_.erase(it);
    return us;
  }

  FlowRecord& info_;
  std::shared_ptr<MapiFlowRecord> record_;
  MapiFlowEventSink& sink_;
  MapiCounters& counters_;
  bool reports_;  ///< the edge reports the connection; the core keeps its own record only
  std::optional<mapi::emsmdb::ClientVersion> session_;
  std::map<uint32_t, uint64_t> calls_;
  bool localPending_ = false;
};

/// The protection layer's events (protected_mapi_filter.h): the edge counts and logs what the
/// client's view shows; the core only logs.
class FlowProtectionEvents : public ProtectionEvents {
 public:
  FlowProtectionEvents(FlowRecord& info, MapiFlowEventSink& sink, bool edge)
      : info_(info), sink_(sink), counters_(sink.mapiCounters()), edge_(edge) {}
  void onProtectedBind() override {
    if (edge_) {
      counters_.onSecuredConnection(mapiRecordOf(info_).stats);
    }
  }
  void onProtectedOpened(const std::string& description) override {
    if (edge_) {
      counters_.onSecuredAccelerated(mapiRecordOf(info_).stats, description);
    }
    if ((sink_.mapiDebugMask(info_) & static_cast<uint32_t>(MapiDebug::CommonFlow)) != 0) {
      sink_.onMapiDebug(info_, MapiDebug::CommonFlow,
                        "encrypted connection opened: " + description);
    }
  }
  void onVerbatim(dcerpc::Sender from, const std::string& why, bool reset) override {
    counters_.onVerbatim(reset);
    sink_.onMapiProtectionEvent(
        info_, std::string(from == dcerpc::Sender::Client ? "client" : "server") +
                   " PDU does not verify (" + why + "): " +
                   (reset ? "connection reset (renumbered already; never relayed repaired)"
                          : "relayed verbatim, the receiver sees exactly what was sent"));
  }
  void onPdusOpened(uint64_t n) override { counters_.onProtectedPdus(n, 0); }
  void onPdusSealed(uint64_t n) override { counters_.onProtectedPdus(0, n); }
  bool peerLegSecuring() const override { return info_.wanSecureLeg; }
  bool peerLegSecured() const override { return info_.wanSecured; }
  std::string peerLegClearReason() const override { return info_.wanSecureOff; }

 private:
  FlowRecord& info_;
  MapiFlowEventSink& sink_;
  MapiCounters& counters_;
  bool edge_;
};

class EdgeMapiFilter : public FlowFilter {
 public:
  EdgeMapiFilter(const MapiAoConfig& config, FlowRecord& info, MapiFlowEventSink& sink)
      : events_(info, sink, true), ao_(config, events_) {}
  void onLocalData(ByteSpan data, Output& out) override {
    AoOutput o;
    ao_.onClientData(data, o);
    finish(o, out);
  }
  void onPeerData(ByteSpan data, Output& out) override {
    AoOutput o;
    ao_.onPeerData(data, o);
    finish(o, out);
  }
  bool onLocalEof(Output& out) override {
    AoOutput o;
    bool now = ao_.onClientEof(o);
    finish(o, out);
    return now;
  }
  bool canFinishTowardsLocal() const override { return true; }
  size_t bufferedBytes() const override { return ao_.bufferedBytes(); }
  void requestHandOff(uint16_t reason, const std::string& why, Output& out) override {
    AoOutput o;
    ao_.requestHandOff(handOffReasonOf(reason), why, o);
    finish(o, out);
  }
  void releaseObjects(ByteSpan contextHandle, const std::vector<uint32_t>& handles, Output& out) {
    AoOutput o;
    ao_.releaseObjects(contextHandle, handles, o);
    finish(o, out);
  }
  bool writesPending(ByteSpan contextHandle, const std::vector<uint32_t>& handles) const {
    return ao_.writesPending(contextHandle, handles);
  }
  bool blocksGroupCall(ByteSpan contextHandle, const std::vector<uint32_t>& handles) const {
    return ao_.blocksGroupCall(contextHandle, handles);
  }
  void retryGroupHold(Output& out) {
    AoOutput o;
    ao_.retryGroupHold(o);
    finish(o, out);
  }

 private:
  void finish(AoOutput& o, Output& out) {
    if (o.reset) {
      events_.onDropped();
    }
    moveOutput(o, out);
  }
  FlowEvents events_;
  EdgeMapiAo ao_;
};

class CoreMapiFilter : public FlowFilter {
 public:
  CoreMapiFilter(const MapiAoConfig& config, FlowRecord& info, MapiFlowEventSink& sink)
      : events_(info, sink, false), ao_(config, events_) {}
  void onLocalData(ByteSpan data, Output& out) override {
    AoOutput o;
    ao_.onServerData(data, o);
    finish(o, out);
  }
  void onPeerData(ByteSpan data, Output& out) override {
    AoOutput o;
    ao_.onPeerData(data, o);
    finish(o, out);
  }
  bool onLocalEof(Output& out) override {
    AoOutput o;
    ao_.onServerEof(o);
    finish(o, out);
    return true;
  }
  bool canFinishTowardsLocal() const override { return ao_.canFinishTowardsServer(); }
  size_t bufferedBytes() const override { return ao_.bufferedBytes(); }
  void requestHandOff(uint16_t reason, const std::string& why, Output& out) override {
    AoOutput o;
    ao_.requestHandOff(handOffReasonOf(reason), why, o);
    finish(o, out);
  }

 private:
  void finish(AoOutput& o, Output& out) {
    if (o.reset) {
      events_.onDropped();
    }
    moveOutput(o, out);
  }
  FlowEvents events_;
  CoreMapiAo ao_;
};

}  // namespace

std::unique_ptr<FlowFilter> makeEdgeMapiFilter(const MapiAoConfig& config, FlowRecord& info,
                                               MapiFlowEventSink& sink,
                                               ProtectionProvider* protection) {
  MapiAoConfig c = config;
  c.openProtectedBinds = protection != nullptr;
  return makeProtectedEdgeFilter(std::make_unique<EdgeMapiFilter>(c, info, sink), protection,
                                 std::make_unique<FlowProtectionEvents>(info, sink, true));
}

namespace {

/// The edge half inside its protection layer.
const EdgeMapiFilter* edgeHalf(const FlowFilter& filter) {
  if (const auto* p = dynamic_cast<const ProtectedMapiFilter*>(&filter)) {
    return dynamic_cast<const EdgeMapiFilter*>(&p->inner());
  }
  return dynamic_cast<const EdgeMapiFilter*>(&filter);
}

/// Runs a step of the edge half through its protection layer (its output is framed there).
void runEdgeHalf(FlowFilter& filter, FlowFilter::Output& out,
                 const std::function<void(EdgeMapiFilter&, FlowFilter::Output&)>& step) {
  if (auto* p = dynamic_cast<ProtectedMapiFilter*>(&filter)) {
    if (auto* edge = dynamic_cast<EdgeMapiFilter*>(&p->inner())) {
      p->runInner([&](FlowFilter&, FlowFilter::Output& o) { step(*edge, o); }, out);
    }
    return;
  }
  if (auto* edge = dynamic_cast<EdgeMapiFilter*>(&filter)) {
    step(*edge, out);
  }
}

}  // namespace

void releaseMapiObjects(FlowFilter& filter, ByteSpan contextHandle,
                        const std::vector<uint32_t>& handles, FlowFilter::Output& out) {
  runEdgeHalf(filter, out, [&](EdgeMapiFilter& edge, FlowFilter::Output& o) {
    edge.releaseObjects(contextHandle, handles, o);
  });
}

bool mapiWritesPending(const FlowFilter& filter, ByteSpan contextHandle,
                       const std::vector<uint32_t>& handles) {
  const auto* edge = edgeHalf(filter);
  return edge != nullptr && edge->writesPending(contextHandle, handles);
}

bool mapiBlocksGroupCall(const FlowFilter& filter, ByteSpan contextHandle,
                         const std::vector<uint32_t>& handles) {
  const auto* edge = edgeHalf(filter);
  return edge != nullptr && edge->blocksGroupCall(contextHandle, handles);
}

void retryMapiGroupHold(FlowFilter& filter, FlowFilter::Output& out) {
  runEdgeHalf(filter, out,
              [&](EdgeMapiFilter& edge, FlowFilter::Output& o) { edge.retryGroupHold(o); });
}

std::unique_ptr<FlowFilter> makeCoreMapiFilter(const MapiAoConfig& config, FlowRecord& info,
                                               MapiFlowEventSink& sink,
                                               ProtectionProvider* protection) {
  return makeProtectedCoreFilter(std::make_unique<CoreMapiFilter>(config, info, sink), protection,
                                 std::make_unique<FlowProtectionEvents>(info, sink, false));
}

}  // namespace bh::mapi::mapi_ao
