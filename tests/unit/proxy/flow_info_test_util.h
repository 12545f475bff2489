#pragma once

// One optimized flow's record as the connection tables show it, shared by the tests that render
// them (proxy's and the box's, which adds an accelerator's own record).

#include "proxy/flow_info.h"

namespace bh::proxy::test {

inline FlowInfo optimizedFlow(uint8_t applied) {
  FlowInfo f;
  f.connId = 342;
  f.client = {*IpAddress::parse("10.56.94.101"), 4506};
  f.server = {*IpAddress::parse("10.10.100.100"), 1456};
  f.peerId = "0:1a:64:d3:2f:b8";
  f.state = FlowState::Optimized;
  f.policy.applied = applied;
  return f;
}

}  // namespace bh::proxy::test
