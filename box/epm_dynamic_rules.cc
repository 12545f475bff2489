#include "box/epm_dynamic_rules.h"

namespace bh::box {

bool EpmDynamicRules::onMappedEndpoint(const mapi::epm_ao::MappedEndpoint& endpoint) {
  auto rule = policy_->epmRule(endpoint.interfaceUuid, endpoint.address, endpoint.port);
  if (!rule) {
    return false;  // the policy has no EPM map for this interface
  }
  rules_.add(std::move(*rule));
  return true;
}

}  // namespace bh::box
