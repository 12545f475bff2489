#include "policy/config.h"

#include <algorithm>

namespace bh::policy {

const Classifier* Config::findClassifier(const std::string& name) const {
  for (const auto& c : classifiers) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

bool Config::hasApplication(const std::string& name) const {
  return std::find(applications.begin(), applications.end(), name) != applications.end();
}

std::string roleName(DeviceRole role) {
  switch (role) {
    case DeviceRole::Edge:
      return "edge";
    case DeviceRole::Core:
      return "core";
    case DeviceRole::Both:
      return "both";
  }
  return "both";
}

std::string interceptionModeName(InterceptionMode mode) {
  return mode == InterceptionMode::Wccp ? "wccp" : "inline";
}

std::string wccpMethodName(WccpMethod method) {
  return method == WccpMethod::L2 ? "l2" : "gre";
}

std::string wccpAssignmentName(WccpAssignment assignment) {
  return assignment == WccpAssignment::Mask ? "mask" : "hash";
}

}  // namespace bh::policy
