#include "mapi/epm_ao/epm_flow_accelerator.h"

#include "mapi/epm_ao/epm_metrics.h"

namespace bh::mapi::epm_ao {

namespace {

/// The EPM AO watching one flow's bytes (it never changes them).
class EpmObserver : public accel::FlowObserver {
 public:
  EpmObserver(std::unique_ptr<EndpointSink> sink, const IpAddress& server, EpmCounters& counters)
      : sink_(std::move(sink)), ao_(server, *sink_, counters) {}
  void onData(bool fromClient, ByteSpan data) override {
    if (ao_.state() != EpmAoState::Active) {
      return;
    }
    if (fromClient) {
      ao_.onClientData(data);
    } else {
      ao_.onServerData(data);
    }
  }

 private:
  std::unique_ptr<EndpointSink> sink_;  // declared first: the AO refers to it
  EpmAccelerator ao_;
};

}  // namespace

accel::Attachment EpmFlowAccelerator::attach(accel::FlowRecord& flow) {
  if (!enabled_) {
    return {};
  }
  std::unique_ptr<EndpointSink> sink = newSink_();
  if (!sink) {
    return {};
  }
  return {nullptr, std::make_unique<EpmObserver>(std::move(sink), flow.server.ip, counters_)};
}

std::vector<accel::ControlCommand> EpmFlowAccelerator::commands() {
  return {{{"show", "statistics", "accelerator", "epm"},
           "show statistics accelerator epm",
           [this](const std::vector<std::string>&) -> nlohmann::json {
             return {{"ok", true},
                     {"text", showStatisticsAcceleratorEpm(counters_)},
                     {"json", statisticsAcceleratorEpmJson(counters_)}};
           }}};
}

accel::MetricFamilies EpmFlowAccelerator::metrics() const {
  return epmMetrics(counters_);
}

}  // namespace bh::mapi::epm_ao
