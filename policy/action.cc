#include "policy/action.h"

namespace bh::policy {

bool usesTfo(Action a) {
  return a != Action::PassThrough;
}
bool usesDre(Action a) {
  return a == Action::OptimizeDre || a == Action::OptimizeFull;
}
bool usesLz(Action a) {
  return a == Action::OptimizeLz || a == Action::OptimizeFull;
}

std::string actionName(Action a) {
  switch (a) {
    case Action::PassThrough:
      return "pass-through";
    case Action::OptimizeTcp:
      return "optimize tcp";
    case Action::OptimizeDre:
      return "optimize dre";
    case Action::OptimizeLz:
      return "optimize lz";
    case Action::OptimizeFull:
      return "optimize full";
  }
  return "pass-through";
}

const std::vector<std::string>& actionNames() {
  static const std::vector<std::string> names = {"pass-through", "optimize tcp", "optimize dre",
                                                 "optimize lz", "optimize full"};
  return names;
}

std::optional<Action> parseAction(std::string_view text) {
  for (Action a : {Action::PassThrough, Action::OptimizeTcp, Action::OptimizeDre,
                   Action::OptimizeLz, Action::OptimizeFull}) {
    if (text == actionName(a) || text == actionWaasText(a)) {
      return a;
    }
  }
  // WAAS spells full optimization both ways.
  if (text == "optimize DRE yes compression LZ") {
    return Action::OptimizeFull;
  }
  return std::nullopt;
}

std::string actionWaasText(Action a) {
  switch (a) {
    case Action::PassThrough:
      return "pass-through";
    case Action::OptimizeTcp:
      return "optimize DRE no compression none";
    case Action::OptimizeDre:
      return "optimize DRE yes compression none";
    case Action::OptimizeLz:
      return "optimize DRE no compression LZ";
    case Action::OptimizeFull:
      return "optimize full";
  }
  return "pass-through";
}

std::string actionPolicyDetails(Action a) {
  if (a == Action::PassThrough) {
    return "PASS_THROUGH";
  }
  std::string out = "TCP_OPTIMIZE";
  if (usesDre(a)) {
    out += " + DRE";
  }
  if (usesLz(a)) {
    out += " + LZ";
  }
  return out;
}

std::string acceleratorName(Accelerator a) {
  switch (a) {
    case Accelerator::None:
      return "none";
    case Accelerator::Epm:
      return "epm";
    case Accelerator::Mapi:
      return "mapi";
  }
  return "none";
}

std::optional<Accelerator> parseAccelerator(std::string_view text) {
  for (Accelerator a : {Accelerator::None, Accelerator::Epm, Accelerator::Mapi}) {
    if (text == acceleratorName(a)) {
      return a;
    }
  }
  if (text == "MS-port-mapper") {
    return Accelerator::Epm;
  }
  return std::nullopt;
}

const std::vector<std::string>& acceleratorNames() {
  static const std::vector<std::string> names = {"none", "epm", "mapi"};
  return names;
}

std::string acceleratorWaasName(Accelerator a) {
  return a == Accelerator::Epm ? "MS-port-mapper" : acceleratorName(a);
}

std::string acceleratorDetails(Accelerator a) {
  switch (a) {
    case Accelerator::None:
      return "None";
    case Accelerator::Epm:
      return "EPM";
    case Accelerator::Mapi:
      return "MAPI";
  }
  return "None";
}

}  // namespace bh::policy
