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

std::string wanSecureModeName(WanSecureMode m) {
  switch (m) {
    case WanSecureMode::Never:
      return "never";
    case WanSecureMode::Auto:
      return "auto";
    case WanSecureMode::Always:
      return "always";
  }
  return "never";
}

WanSecureMode WanSecureConfig::modeFor(Accelerator which) const {
  switch (which) {
    case Accelerator::Mapi:
      return mapiMode;
    case Accelerator::Epm:
      return epmMode;
    case Accelerator::None:
      return genericMode;
  }
  return genericMode;
}

bool WanSecureConfig::anySecured() const {
  return mapiMode != WanSecureMode::Never || epmMode != WanSecureMode::Never ||
         genericMode != WanSecureMode::Never;
}

bool WanSecureConfig::anyAlways() const {
  return mapiMode == WanSecureMode::Always || epmMode == WanSecureMode::Always ||
         genericMode == WanSecureMode::Always;
}

}  // namespace bh::policy
