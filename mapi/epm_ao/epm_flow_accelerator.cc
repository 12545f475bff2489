#include "mapi/epm_ao/epm_flow_accelerator.h"

namespace bh::mapi::epm_ao {

namespace {

/// The EPM AO watching one flow's bytes (it never changes them).
class EpmObserver : public accel::FlowObserver {
 public:
  EpmObserver(policy::PolicyPtr policy, const policy::IpAddress& server, EpmEvents& events,
              EpmCounters& counters)
      : ao_(std::move(policy), server, events, counters) {}
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
  EpmAccelerator ao_;
};

}  // namespace

accel::Attachment EpmFlowAccelerator::attach(accel::FlowRecord& flow) {
  if (!enabled_) {
    return {};
  }
  return {nullptr, std::make_unique<EpmObserver>(policyNow_(), flow.server.ip, events_, counters_)};
}

std::vector<accel::ControlCommand> EpmFlowAccelerator::commands() {
  return {{{"show", "statistics", "accelerator", "epm"},
           "the EPM accelerator's statistics",
           [this](const std::vector<std::string>&) -> nlohmann::json {
             return {{"ok", true},
                     {"text", showStatisticsAcceleratorEpm(counters_)},
                     {"json", statisticsAcceleratorEpmJson(counters_)}};
           }}};
}

}  // namespace bh::mapi::epm_ao
