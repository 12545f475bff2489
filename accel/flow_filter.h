#pragma once

// What an accelerator puts into a flow's chain (docs/ARCHITECTURE.md: "an accelerator is a
// filter"). The box owns the sockets; these only see bytes and say what goes where.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace bh::accel {

/// Sees every application byte of a flow exactly once, in order, in plain form (an
/// accelerator that only watches, e.g. the EPM AO). It must not change or hold the bytes.
class FlowObserver {
 public:
  virtual ~FlowObserver() = default;
  virtual void onData(bool fromClient, ByteSpan data) = 0;
};

/// An application accelerator in the flow's chain: it sees the plain bytes of its own side (the
/// raw leg: the client at the edge, the server at the core) and the plain bytes its peer half
/// sent, and says what goes where. It may answer its own side locally and may hold bytes; a FIN
/// waits for what it holds.
class FlowFilter {
 public:
  struct Output {
    Bytes toLocal;                 ///< to the raw leg
    Bytes toPeer;                  ///< to the peer half, as Data
    std::vector<size_t> peerCuts;  ///< offsets in toPeer where the data codec ends a chunk
    /// toPeer ends at a message boundary someone waits on: send it now rather than when the
    /// input pauses (a request/response protocol must not wait for an idle timer).
    bool flushPeer = false;
    bool reset = false;
    std::string resetReason;
  };
  virtual ~FlowFilter() = default;
  virtual void onLocalData(ByteSpan data, Output& out) = 0;
  virtual void onPeerData(ByteSpan data, Output& out) = 0;
  /// The raw leg's far end finished sending: true when the half-close may go on now; false to
  /// be asked again after the next step.
  virtual bool onLocalEof(Output& out) = 0;
  /// The peer's half-close may be passed to the raw leg now.
  virtual bool canFinishTowardsLocal() const = 0;
  virtual size_t bufferedBytes() const = 0;
  /// Stop accelerating (the box decided for the flow's whole group); the flow goes on under
  /// the generic accelerator. Default: nothing to stop.
  /// `reason` is the accelerator's own code for why.
  virtual void requestHandOff(uint16_t reason, const std::string& why, Output& out) {
    (void)reason, (void)why, (void)out;
  }
  /// The flow's peer leg finished its TLS handshake (WAN secure confirmed): what waited to
  /// cross only a secured leg may go now (eMAPI's keys). Default: nothing waits.
  virtual void onPeerLegSecured(Output& out) { (void)out; }
};

}  // namespace bh::accel
