#include "proxy/mapi_filter.h"

#include <uv.h>

#include <chrono>
#include <map>
#include <optional>

#include "proxy/log.h"

namespace bh::proxy {

namespace {

using mapi::mapi_ao::AoOutput;
using mapi::mapi_ao::HandOffReason;
using mapi::mapi_ao::MapiAoEvents;

void moveOutput(AoOutput& from, FlowFilter::Output& to) {
  to.toLocal = std::move(from.toLocal);
  to.toPeer = std::move(from.toPeer);
  to.peerCuts = std::move(from.peerCuts);
  // The halves emit whole PDUs and records only: every output ends at a message boundary.
  to.flushPeer = true;
  to.reset = from.reset;
  to.resetReason = std::move(from.resetReason);
}

/// Per-flow events: the connection's record in FlowInfo (`info.mapi`) and the accelerator's
/// counters; hand-offs also reach the sink (log lines, Accel letters). Response times are
/// measured here, where there is a clock.
class FlowEvents : public MapiAoEvents {
public:
  FlowEvents(FlowInfo& info, MapiFlowEventSink& sink, bool reportsConnection)
      : info_(info), sink_(sink), counters_(sink.mapiCounters()), reports_(reportsConnection) {
    info_.mapi.emplace();
    if (reports_) {
      counters_.onConnectionHandled(*info_.mapi);
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
    info_.mapi->associationGroupId = assocGroupId;
    sink_.onMapiBound(info_, assocGroupId);
    if (reports_) {
      counters_.onOptimized(*info_.mapi);
    }
  }
  void onClientVersion(const mapi::emsmdb::ClientVersion& v) override {
    if (!reports_ || session_) {
      return;
    }
    session_ = v;
    counters_.onSessionOpened(v, &*info_.mapi);
  }
  void onHandOff(HandOffReason reason, const std::string& detail) override {
    sink_.onMapiHandOff(info_, reason, detail);
    if (reports_) {
      counters_.onHandedOff(*info_.mapi, reason);
    }
  }
  void onClientCall(uint32_t callId) override {
    if (calls_.size() < 64) {
      calls_[callId] = uv_hrtime();
    }
  }
  void onLocalResponse(uint32_t callId) override {
    ++info_.mapiLocalResponses;
    localPending_ = true;
    counters_.recordLocalResponse(*info_.mapi, elapsed(callId));
  }
  void onRemoteResponse(uint32_t callId) override {
    ++info_.mapiRemoteResponses;
    counters_.recordRemoteResponse(*info_.mapi, elapsed(callId));
  }
  void onReadResponse(mapi::mapi_ao::ReadAheadKind kind, uint32_t bytes) override {
    if (localPending_) {
      localPending_ = false;
      counters_.recordReadAheadServed(*info_.mapi, bytes);
    }
    if (kind == mapi::mapi_ao::ReadAheadKind::ReadStream) {
      counters_.recordReadStream(*info_.mapi, bytes);
    } else {
      counters_.recordSynchGetBuffer(*info_.mapi, bytes);
    }
  }
  void onWriteOptimized(uint32_t bytes) override {
    localPending_ = false;
    counters_.recordWriteOptimized(*info_.mapi, bytes);
  }
  void onReadAheadAccumulated(size_t bytes) override {
    counters_.recordReadAheadAccumulated(*info_.mapi, bytes);
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
  void onDebug(mapi::mapi_ao::MapiDebug category, const std::string& line) override {
    sink_.onMapiDebug(info_, category, line);
  }
  void onReadAheadStarted(mapi::mapi_ao::ReadAheadKind kind) override {
    (void)kind;
    ++info_.mapiReadAheads;
  }
  /// The AO reset the flow (a client it could not serve correctly).
  void onDropped() {
    if (reports_) {
      counters_.onDropped(*info_.mapi);
    }
  }

private:
  std::chrono::microseconds elapsed(uint32_t callId) {
    auto it = calls_.find(callId);
    if (it == calls_.end()) {
      return std::chrono::microseconds(0);
    }
    auto us = std::chrono::microseconds((uv_hrtime() - it->second) / 1000);
    calls_.erase(it);
    return us;
  }

  FlowInfo& info_;
  MapiFlowEventSink& sink_;
  mapi::mapi_ao::MapiCounters& counters_;
  bool reports_; ///< the edge reports the connection; the core keeps its own record only
  std::optional<mapi::emsmdb::ClientVersion> session_;
  std::map<uint32_t, uint64_t> calls_;
  bool localPending_ = false;
};

class EdgeMapiFilter : public FlowFilter {
public:
  EdgeMapiFilter(const mapi::mapi_ao::MapiAoConfig& config, FlowInfo& info,
                 MapiFlowEventSink& sink)
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
    ao_.requestHandOff(reason < mapi::mapi_ao::kHandOffReasonCount
                           ? static_cast<mapi::mapi_ao::HandOffReason>(reason)
                           : mapi::mapi_ao::HandOffReason::Other,
                       why, o);
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
  mapi::mapi_ao::EdgeMapiAo ao_;
};

class CoreMapiFilter : public FlowFilter {
public:
  CoreMapiFilter(const mapi::mapi_ao::MapiAoConfig& config, FlowInfo& info,
                 MapiFlowEventSink& sink)
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

private:
  void finish(AoOutput& o, Output& out) {
    if (o.reset) {
      events_.onDropped();
    }
    moveOutput(o, out);
  }
  FlowEvents events_;
  mapi::mapi_ao::CoreMapiAo ao_;
};

} // namespace

std::unique_ptr<FlowFilter> makeEdgeMapiFilter(const mapi::mapi_ao::MapiAoConfig& config,
                                               FlowInfo& info, MapiFlowEventSink& sink) {
  return std::make_unique<EdgeMapiFilter>(config, info, sink);
}

void releaseMapiObjects(FlowFilter& filter, ByteSpan contextHandle,
                        const std::vector<uint32_t>& handles, FlowFilter::Output& out) {
  if (auto* edge = dynamic_cast<EdgeMapiFilter*>(&filter)) {
    edge->releaseObjects(contextHandle, handles, out);
  }
}

bool mapiWritesPending(const FlowFilter& filter, ByteSpan contextHandle,
                       const std::vector<uint32_t>& handles) {
  const auto* edge = dynamic_cast<const EdgeMapiFilter*>(&filter);
  return edge != nullptr && edge->writesPending(contextHandle, handles);
}

bool mapiBlocksGroupCall(const FlowFilter& filter, ByteSpan contextHandle,
                         const std::vector<uint32_t>& handles) {
  const auto* edge = dynamic_cast<const EdgeMapiFilter*>(&filter);
  return edge != nullptr && edge->blocksGroupCall(contextHandle, handles);
}

void retryMapiGroupHold(FlowFilter& filter, FlowFilter::Output& out) {
  if (auto* edge = dynamic_cast<EdgeMapiFilter*>(&filter)) {
    edge->retryGroupHold(out);
  }
}

std::unique_ptr<FlowFilter> makeCoreMapiFilter(const mapi::mapi_ao::MapiAoConfig& config,
                                               FlowInfo& info, MapiFlowEventSink& sink) {
  return std::make_unique<CoreMapiFilter>(config, info, sink);
}

} // namespace bh::proxy
