#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>

#include "policy/flow_key.h"
#include "policy/policy.h"
#include "proxy/codec/discovery_option.h"
#include "proxy/wan_secure/leg_security.h"

namespace bh::proxy {

/// What the SYN/SYN-ACK handler learned about a flow, keyed by the flow as the client opened
/// it (client -> server), for the proxy to pick up when the connection completes:
///  - edge: the policy to request in our SYN (set before connect), then the core's answer;
///  - core: the edge's option from its SYN, so the listener knows the flow is peered and the
///    SYN-ACK can answer it.
/// Bounded and expiring: an entry nobody picks up (a SYN that never completed) goes away.
struct DiscoveryEntry {
  uint8_t requestedPolicy = 0;  ///< edge: what our SYN asks for
  /// Our option's WAN secure flags (proxy/wan_secure/leg_security.h): edge: its mode's SYN
  /// flags; core: the answer's flags, the Answer bit included where it goes.
  uint8_t secureFlags = 0;
  /// Core: what the answer decided for the peer leg.
  LegSecurityDecision security;
  std::optional<codec::DiscoveryOption> peerOption;  ///< the other side's option
  /// Core: the flow's classification, made once when the edge's SYN is answered and used
  /// again at accept (the answer and the flow must agree).
  std::optional<policy::Decision> decision;
  uint64_t createdNs = 0;
};

class DiscoveryTable {
 public:
  using Key = std::array<uint8_t, 37>;

  DiscoveryTable(size_t capacity, uint64_t lifetimeNs)
      : capacity_(capacity), lifetimeNs_(lifetimeNs) {}

  static Key keyOf(const policy::FlowKey& flow);

  /// Inserts or replaces; evicts the oldest entry when full. @return false if it had to evict.
  bool put(const policy::FlowKey& flow, DiscoveryEntry entry, uint64_t nowNs);
  DiscoveryEntry* find(const policy::FlowKey& flow, uint64_t nowNs);
  std::optional<DiscoveryEntry> take(const policy::FlowKey& flow, uint64_t nowNs);
  void expire(uint64_t nowNs);
  size_t size() const { return entries_.size(); }
  uint64_t evictions() const { return evictions_; }

 private:
  size_t capacity_;
  uint64_t lifetimeNs_;
  uint64_t evictions_ = 0;
  std::map<Key, DiscoveryEntry> entries_;
};

}  // namespace bh::proxy
