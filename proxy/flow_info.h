#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mapi/mapi_ao/mapi_counters.h"
#include "policy/policy.h"
#include "proxy/codec/optimization_policy.h"
#include "proxy/sockets.h"

namespace bh::proxy {

/// Where a flow stands, as the seed's connection statistics count it.
enum class FlowState {
  AutoDiscovery, ///< accepted, peer not known yet (outbound SYN in flight)
  Optimized,     ///< peered: TFO at least
  PassThrough,   ///< no peer / policy / overload: relayed unchanged
  Closing,
};

/// Why a flow is pass-through (shown in detail output).
enum class PassThroughReason { None, Policy, NoPeer, Overload, NoRoomForOption, PeerMismatch };

std::string passThroughReasonName(PassThroughReason r);

/// Everything `show statistics connection` prints about one flow.
struct FlowInfo {
  uint64_t connId = 0;
  Endpoint client;
  Endpoint server;
  bool coreSide = false;   ///< this box is the core for the flow ("EXTERNAL CLIENT" on edge)
  FlowState state = FlowState::AutoDiscovery;
  PassThroughReason passThroughReason = PassThroughReason::None;
  std::string peerId;      ///< the other box's device id, "" if none
  policy::Decision decision;
  codec::PolicyDetails policy;
  codec::Accelerator acceleratorApplied = codec::Accelerator::None;
  bool handedOffToGeneric = false; ///< an AO gave the flow to the generic AO ("G")
  std::string handOffReason;       ///< why, when an AO handed it off
  /// MAPI AO, per connection: calls answered from read-ahead data at the edge, calls that went
  /// to the server, read-aheads started (core).
  uint64_t mapiLocalResponses = 0;
  uint64_t mapiRemoteResponses = 0;
  uint64_t mapiReadAheads = 0;
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
  /// The MAPI AO's record of this connection, when the MAPI AO handles it: the accelerator
  /// emplaces it and reports through MapiCounters with it; `show statistics connection ...
  /// detail` prints it as the seed's "MAPI : <id>" block.
  std::optional<mapi::mapi_ao::MapiConnectionStats> mapi;

  /// Accel letters of the seed's table: T (TFO), the AO letter (M, E) or G when an AO handed
  /// the flow to the generic AO, then D (DRE) and L (LZ).
  std::string accelLetters() const;
  /// Total reduction ratio in percent (the seed's RR column).
  double reductionRatio() const;
};

} // namespace bh::proxy
