#include "policy/mapi_classes.h"

#include "policy/show_policy_map.h"

namespace bh::policy {

namespace {

std::string actionText(Action action, Accelerator accelerate, const std::string& application) {
  return actionWaasText(action) + " accelerate " + acceleratorWaasName(accelerate) +
         " application " + application;
}

}  // namespace

std::vector<MapiClassRow> mapiClasses(const Config& c) {
  std::vector<MapiClassRow> out;
  for (const auto& m : c.epmMaps) {
    // Only the EMSMDB interface's map brings MAPI's dynamic port to the MAPI accelerator.
    if (m.accelerate == Accelerator::Mapi && m.uuid == kEmsmdbUuid) {
      out.push_back({epmClassName(m), "map adaptor EPM " + m.name,
                     actionText(m.action, m.accelerate, m.application)});
    }
  }
  for (const auto& pc : c.policyMap.classes) {
    if (pc.accelerate == Accelerator::Mapi) {
      out.push_back({pc.name, pc.classifier.empty() ? "any" : "classifier " + pc.classifier,
                     actionText(pc.action, pc.accelerate, pc.application)});
    }
  }
  return out;
}

bool hasEpmClass(const Config& c) {
  for (const auto& pc : c.policyMap.classes) {
    if (pc.accelerate == Accelerator::Epm) {
      return true;
    }
  }
  return false;
}

}  // namespace bh::policy
