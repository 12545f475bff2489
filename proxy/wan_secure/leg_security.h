#pragma once

// How edge and core agree, before the first byte, whether a flow's peer leg runs WAN secure
// (proxy/wan_secure/README.md "Where it applies"). Each end classifies the flow itself and has
// a mode for its class: `never`, `auto` (only the flows that need it: sealed MAPI) or `always`.
// The discovery option carries the modes in its two flag bits:
//
//   edge SYN (role Edge):     never: none | always: Secure | auto: Secure + Auto |
//                             auto, carrying a connection on in clear after its handshake
//                             with this core failed: Auto alone (read as `never`, named)
//   core answer (role Core):  to a `never` or `always` edge: Answer [+ Secure when the core's
//                             mode secures such a leg: `always`, or `auto` toward an `always`
//                             edge] (the version 1 answer, which earlier edges read);
//                             to an `auto` edge: never: Answer | auto: Answer + Secure |
//                             always: Secure (no Answer bit: role Core says it is an answer).
//
// Pure: the flow manager feeds it the modes and the option's flags.

#include <cstdint>
#include <string>

#include "policy/config.h"

namespace bh::proxy {

/// What a peer leg does about WAN secure, as both ends decided it.
enum class LegSecurity {
  Clear,     ///< no TLS; a flow that would need it is handed off, named (whyClear)
  Tls,       ///< TLS from the first byte (the edge's ClientHello)
  PerFlow,   ///< both `auto`: the edge decides on the client's first bytes (TLS or a clear Hello)
  Mismatch,  ///< `never` against `always`: the named failure mode-mismatch; the flow passes through
};

struct LegSecurityDecision {
  LegSecurity outcome = LegSecurity::Clear;
  /// Clear: why (what a flow that needs WAN secure is told). Mismatch: the failure's detail.
  std::string why;
};

/// The edge SYN's DiscoveryFlags for its mode.
uint8_t edgeSynFlags(policy::WanSecureMode edgeMode);

/// The edge SYN's DiscoveryFlags when it carries a connection on in clear because its
/// handshake with this core failed (FlowManager::rediscoverWithoutWanSecure): Auto alone. A
/// core reads it as `never`, and names the failed handshake instead of a `never` mode.
uint8_t edgeSynFlagsAfterFailure();

/// The edge's mode as its SYN's flags say it (flags that no edge sends read as `never`).
policy::WanSecureMode edgeModeOf(uint8_t synFlags);

/// Core: the answer's DiscoveryFlags (Answer included where it goes) and what the core does.
struct CoreAnswer {
  uint8_t flags = 0;
  LegSecurityDecision decision;
};
CoreAnswer answerEdge(uint8_t edgeSynFlags, policy::WanSecureMode coreMode);

/// Edge: what its mode and the core's answer decide.
LegSecurityDecision decideAtEdge(policy::WanSecureMode edgeMode, uint8_t answerFlags);

const char* legSecurityName(LegSecurity s);

}  // namespace bh::proxy
