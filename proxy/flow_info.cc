#include "proxy/flow_info.h"

namespace bh::proxy {

std::string passThroughReasonName(PassThroughReason r) {
  switch (r) {
    case PassThroughReason::None:
      return "none";
    case PassThroughReason::Policy:
      return "policy";
    case PassThroughReason::NoPeer:
      return "no peer";
    case PassThroughReason::Overload:
      return "overload";
    case PassThroughReason::NoRoomForOption:
      return "no room for the auto-discovery option";
    case PassThroughReason::PeerMismatch:
      return "peer mismatch";
    case PassThroughReason::WanSecureFailed:
      return "WAN secure failed";
  }
  return "unknown";
}

std::string FlowInfo::accelLetters() const {
  if (state != FlowState::Optimized) {
    return "";
  }
  std::string s;
  if (policy.applied & codec::PolicyBits::TcpOptimize) {
    s += 'T';
  }
  // A flow the MAPI AO handed off keeps acceleratorApplied (its half stays on the flow and
  // relays the rest unparsed) but runs under the generic AO from then on: G, not M.
  if (handedOffToGeneric) {
    s += 'G';
  } else {
    switch (acceleratorApplied) {
      case codec::Accelerator::Mapi:
        s += 'M';
        break;
      case codec::Accelerator::Epm:
        s += 'E';
        break;
      default:
        break;
    }
  }
  if (policy.applied & codec::PolicyBits::Dre) {
    s += 'D';
  }
  if (policy.applied & codec::PolicyBits::Lz) {
    s += 'L';
  }
  return s;
}

double FlowInfo::reductionRatio() const {
  uint64_t original = lanBytesRead + lanBytesWritten;
  uint64_t optimized = wanBytesRead + wanBytesWritten;
  if (original == 0 || optimized >= original) {
    return 0.0;
  }
  return 100.0 * static_cast<double>(original - optimized) / static_cast<double>(original);
}

}  // namespace bh::proxy
