#pragma once

#include <cstdint>
#include <string>

#include "common/ip_address.h"

namespace bh::policy {

/// A TCP flow as the client opened it: src = client, dst = server.
struct FlowKey {
  IpAddress src;
  IpAddress dst;
  uint16_t srcPort = 0;
  uint16_t dstPort = 0;

  /// The flow seen from the server's end.
  FlowKey reversed() const { return {dst, src, dstPort, srcPort}; }
  bool operator==(const FlowKey&) const = default;
};

}  // namespace bh::policy
