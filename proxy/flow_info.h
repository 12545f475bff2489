#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "accel/flow_record.h"
#include "policy/policy.h"
#include "proxy/codec/optimization_policy.h"
#include "proxy/sockets.h"
#include "proxy/wan_secure/leg_security.h"

namespace bh::proxy {

/// Where a flow stands, as the seed's connection statistics count it.
enum class FlowState {
  AutoDiscovery,  ///< accepted, peer not known yet (outbound SYN in flight)
  Optimized,      ///< peered: TFO at least
  PassThrough,    ///< no peer / policy / overload: relayed unchanged
  Closing,
};

/// Why a flow is pass-through (shown in detail output).
enum class PassThroughReason {
  None,
  Policy,
  NoPeer,
  Overload,
  NoRoomForOption,
  PeerMismatch,
  WanSecureFailed,  ///< WAN secure was required and failed (or the ends' modes differ)
};

std::string passThroughReasonName(PassThroughReason r);

/// Everything `show statistics connection` prints about one flow: what accelerators see and
/// update (accel::FlowRecord: addresses, side, hand-off, the accelerator's own record) and what
/// only the box knows.
struct FlowInfo : accel::FlowRecord {
  FlowState state = FlowState::AutoDiscovery;
  PassThroughReason passThroughReason = PassThroughReason::None;
  std::string peerId;  ///< the other box's device id, "" if none
  policy::Decision decision;
  codec::PolicyDetails policy;
  codec::Accelerator acceleratorApplied = codec::Accelerator::None;
  /// Edge: the WAN secure mode this box offered for the flow's class (its SYN's flags).
  policy::WanSecureMode wanSecureMode = policy::WanSecureMode::Never;
  /// What edge and core decided for the peer leg (proxy/wan_secure/leg_security.h).
  LegSecurity legSecurity = LegSecurity::Clear;
  /// Edge: the leg's WAN secure (both ends `auto`) failed before the core confirmed it; the
  /// flow goes on over a new peer leg without it (generic, as the seed's Problem 4).
  bool retryWithoutWanSecure = false;
  uint64_t startTimeUnix = 0;
  /// Bytes as the applications sent them (original) and as they crossed the WAN (optimized).
  /// "Read" is from this box's LAN side (client on the edge, server on the core).
  uint64_t lanBytesRead = 0;
  uint64_t lanBytesWritten = 0;
  uint64_t wanBytesWritten = 0;
  uint64_t wanBytesRead = 0;
  /// Bytes the flow holds at the moment it was listed (Flow::bufferedBytes: unsent writes,
  /// partial frames, codec and accelerator buffers, splice pipes). JSON output only.
  uint64_t bufferedBytes = 0;
  /// Accel letters of the seed's table: T (TFO), the AO letter (M, E) or G when an AO handed
  /// the flow to the generic AO, then D (DRE) and L (LZ).
  std::string accelLetters() const;
  /// Total reduction ratio in percent (the seed's RR column).
  double reductionRatio() const;
};

}  // namespace bh::proxy
