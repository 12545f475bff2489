#include "proxy/mapi_filter.h"

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

/// Per-flow events: hand-offs reach the sink with the flow's record; everything else goes to
/// the accelerator's counters (if any).
class FlowEvents : public MapiAoEvents {
public:
  FlowEvents(FlowInfo& info, MapiFlowEventSink& sink)
      : info_(info), sink_(sink), counters_(sink.countersFor(info)) {}
  void onClientVersion(const mapi::emsmdb::ClientVersion& v) override {
    if (counters_) counters_->onClientVersion(v);
  }
  void onHandOff(HandOffReason reason, const std::string& detail) override {
    sink_.onMapiHandOff(info_, reason, detail);
    if (counters_) counters_->onHandOff(reason, detail);
  }
  void onLocalResponse(mapi::mapi_ao::ReadAheadKind kind, uint32_t bytes) override {
    ++info_.mapiLocalResponses;
    if (counters_) counters_->onLocalResponse(kind, bytes);
  }
  void onRemoteResponse() override {
    ++info_.mapiRemoteResponses;
    if (counters_) counters_->onRemoteResponse();
  }
  void onReadRequest(mapi::mapi_ao::ReadAheadKind kind, uint32_t bytes) override {
    if (counters_) counters_->onReadRequest(kind, bytes);
  }
  void onReadAheadAccumulated(size_t bytes) override {
    if (counters_) counters_->onReadAheadAccumulated(bytes);
  }
  void onReadAheadStarted(mapi::mapi_ao::ReadAheadKind kind) override {
    ++info_.mapiReadAheads;
    if (counters_) counters_->onReadAheadStarted(kind);
  }

private:
  FlowInfo& info_;
  MapiFlowEventSink& sink_;
  MapiAoEvents* counters_;
};

class EdgeMapiFilter : public FlowFilter {
public:
  EdgeMapiFilter(const mapi::mapi_ao::MapiAoConfig& config, FlowInfo& info,
                 MapiFlowEventSink& sink)
      : events_(info, sink), ao_(config, events_) {}
  void onLocalData(ByteSpan data, Output& out) override {
    AoOutput o;
    ao_.onClientData(data, o);
    moveOutput(o, out);
  }
  void onPeerData(ByteSpan data, Output& out) override {
    AoOutput o;
    ao_.onPeerData(data, o);
    moveOutput(o, out);
  }
  bool onLocalEof(Output& out) override {
    AoOutput o;
    bool now = ao_.onClientEof(o);
    moveOutput(o, out);
    return now;
  }
  bool canFinishTowardsLocal() const override { return true; }
  size_t bufferedBytes() const override { return ao_.bufferedBytes(); }

private:
  FlowEvents events_;
  mapi::mapi_ao::EdgeMapiAo ao_;
};

class CoreMapiFilter : public FlowFilter {
public:
  CoreMapiFilter(const mapi::mapi_ao::MapiAoConfig& config, FlowInfo& info,
                 MapiFlowEventSink& sink)
      : events_(info, sink), ao_(config, events_) {}
  void onLocalData(ByteSpan data, Output& out) override {
    AoOutput o;
    ao_.onServerData(data, o);
    moveOutput(o, out);
  }
  void onPeerData(ByteSpan data, Output& out) override {
    AoOutput o;
    ao_.onPeerData(data, o);
    moveOutput(o, out);
  }
  bool onLocalEof(Output& out) override {
    AoOutput o;
    ao_.onServerEof(o);
    moveOutput(o, out);
    return true;
  }
  bool canFinishTowardsLocal() const override { return ao_.canFinishTowardsServer(); }
  size_t bufferedBytes() const override { return ao_.bufferedBytes(); }

private:
  FlowEvents events_;
  mapi::mapi_ao::CoreMapiAo ao_;
};

} // namespace

std::unique_ptr<FlowFilter> makeEdgeMapiFilter(const mapi::mapi_ao::MapiAoConfig& config,
                                               FlowInfo& info, MapiFlowEventSink& sink) {
  return std::make_unique<EdgeMapiFilter>(config, info, sink);
}

std::unique_ptr<FlowFilter> makeCoreMapiFilter(const mapi::mapi_ao::MapiAoConfig& config,
                                               FlowInfo& info, MapiFlowEventSink& sink) {
  return std::make_unique<CoreMapiFilter>(config, info, sink);
}

} // namespace bh::proxy
