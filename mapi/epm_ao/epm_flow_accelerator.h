#pragma once

// The EPM AO as the box sees it (accel::Accelerator): on a flow the policy sends to it, it
// watches the endpoint mapper's answers (epm_accelerator.h) and installs the dynamic rules they
// call for through EpmEvents (the box's dynamic rule table). Its statistics are
// `show statistics accelerator epm`.

#include <functional>

#include "accel/accelerator.h"
#include "mapi/epm_ao/epm_accelerator.h"
#include "mapi/epm_ao/epm_counters.h"

namespace bh::mapi::epm_ao {

class EpmFlowAccelerator : public accel::Accelerator {
 public:
  /// @param policyNow the policy in force (each watched flow keeps the one it started under).
  /// @param events where learned rules go; outlives this.
  EpmFlowAccelerator(std::function<policy::PolicyPtr()> policyNow, EpmEvents& events, bool enabled)
      : policyNow_(std::move(policyNow)), events_(events), enabled_(enabled) {}

  void setEnabled(bool enabled) { enabled_ = enabled; }
  const EpmCounters& counters() const { return counters_; }

  const char* name() const override { return "epm"; }
  bool halves() const override { return false; }
  accel::Attachment attach(accel::FlowRecord& flow) override;
  Status status() const override { return {enabled_, enabled_ ? "Running" : "Shutdown"}; }
  std::vector<accel::ControlCommand> commands() override;

 private:
  std::function<policy::PolicyPtr()> policyNow_;
  EpmEvents& events_;
  bool enabled_;
  EpmCounters counters_;
};

}  // namespace bh::mapi::epm_ao
