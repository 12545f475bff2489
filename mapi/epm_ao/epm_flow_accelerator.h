#pragma once

// The EPM AO as the box sees it (accel::Accelerator): on a flow the policy sends to it, it
// watches the endpoint mapper's answers (epm_accelerator.h) and hands the endpoints they give
// out to a sink the box makes per flow (box/epm_dynamic_rules.h installs the dynamic rules the
// policy calls for). Its statistics are `show statistics accelerator epm`.

#include <functional>
#include <memory>

#include "accel/accelerator.h"
#include "mapi/epm_ao/epm_accelerator.h"
#include "mapi/epm_ao/epm_counters.h"

namespace bh::mapi::epm_ao {

class EpmFlowAccelerator : public accel::Accelerator {
 public:
  /// Makes the sink of one watched flow, when the flow starts.
  using SinkFactory = std::function<std::unique_ptr<EndpointSink>()>;
  EpmFlowAccelerator(SinkFactory newSink, bool enabled)
      : newSink_(std::move(newSink)), enabled_(enabled) {}

  void setEnabled(bool enabled) { enabled_ = enabled; }
  const EpmCounters& counters() const { return counters_; }

  const char* name() const override { return "epm"; }
  bool halves() const override { return false; }
  accel::Attachment attach(accel::FlowRecord& flow) override;
  Status status() const override { return {enabled_, enabled_ ? "Running" : "Shutdown"}; }
  std::vector<accel::ControlCommand> commands() override;
  accel::MetricFamilies metrics() const override;

 private:
  SinkFactory newSink_;
  bool enabled_;
  EpmCounters counters_;
};

}  // namespace bh::mapi::epm_ao
