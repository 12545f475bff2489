#pragma once

// The EPM AO's endpoints become dynamic rules here (WAAS "dynamic policy": the endpoint mapper
// hands out EMSMDB's port, the next connection to it is classified as MAPI). The box joins the
// two: the AO knows no policy (mapi/epm_ao/endpoint_sink.h), the policy no DCE/RPC.

#include "mapi/epm_ao/endpoint_sink.h"
#include "policy/dynamic_rules.h"
#include "policy/policy.h"

namespace bh::box {

/// The sink of one EPM connection: the policy in force when the connection started (a reload
/// swaps the box's pointer, not this connection's) decides which endpoints get a rule, and the
/// rule goes into the box's dynamic rule table.
class EpmDynamicRules : public mapi::epm_ao::EndpointSink {
 public:
  EpmDynamicRules(policy::PolicyPtr policy, policy::DynamicRules& rules)
      : policy_(std::move(policy)), rules_(rules) {}
  bool onMappedEndpoint(const mapi::epm_ao::MappedEndpoint& endpoint) override;

 private:
  policy::PolicyPtr policy_;
  policy::DynamicRules& rules_;
};

}  // namespace bh::box
