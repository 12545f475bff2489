#include "optimization_policy.h"

#include <cstdio>

namespace bh::proxy::codec {

uint8_t normalizePolicy(uint8_t bits) {
  if ((bits & PolicyBits::TcpOptimize) == 0) {
    return 0;
  }
  return bits & PolicyBits::All;
}

std::string policyName(uint8_t bits) {
  if (bits == 0) {
    return "PASS_THROUGH";
  }
  std::string out;
  auto append = [&out](std::string_view part) {
    if (!out.empty()) {
      out += " + ";
    }
    out += part;
  };
  if (bits & PolicyBits::TcpOptimize) {
    append("TCP_OPTIMIZE");
  }
  if (bits & PolicyBits::Dre) {
    append("DRE");
  }
  if (bits & PolicyBits::Lz) {
    append("LZ");
  }
  const uint8_t unknown = bits & static_cast<uint8_t>(~PolicyBits::All);
  if (unknown != 0) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "0x%02x", unknown);
    append(hex);
  }
  return out;
}

PolicyDetails negotiate(uint8_t configuredLocal, uint8_t derivedLocal, uint8_t peerPolicy,
                        uint8_t localLimits) {
  PolicyDetails d;
  d.configured = configuredLocal;
  d.derived = derivedLocal;
  d.peer = peerPolicy;
  d.negotiated = normalizePolicy(normalizePolicy(derivedLocal) & normalizePolicy(peerPolicy));
  d.applied = normalizePolicy(d.negotiated & localLimits);
  return d;
}

std::string_view acceleratorName(Accelerator accelerator) {
  switch (accelerator) {
    case Accelerator::None:
      return "None";
    case Accelerator::Mapi:
      return "MAPI";
    case Accelerator::Epm:
      return "EPM";
  }
  return "Unknown";
}

bool isKnownAccelerator(uint8_t value) {
  return value <= static_cast<uint8_t>(Accelerator::Epm);
}

}  // namespace bh::proxy::codec
