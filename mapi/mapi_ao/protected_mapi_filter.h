#pragma once

// The protection layer of the MAPI AO (issue 18, eMAPI; docs/ARCHITECTURE.md "eMAPI"): a filter
// around each half (mapi_flow_filter.h) so that the halves read and write plain PDUs while the
// LAN legs carry Kerberos-sealed ones.
//
//   client <-sealed-> [edge layer | EdgeMapiAo] <-frames over WAN secure-> [CoreMapiAo | core
//   layer] <-sealed-> server
//
// The core opens the client's bind with the service key (ProtectionProvider::openBind) and,
// once the server's bind_ack gave the keys and the peer leg is confirmed secured, sends the
// association to the edge (a Context frame, protection_frame.h) ahead of the bind_ack. From
// then on each layer unwraps what its side sends and seals what it sends its side, with its own
// numbering (protected_association.h), for the connection's whole life: a half that hands the
// flow to the generic AO keeps relaying plain PDUs through its layer, so nothing leaves with a
// wrong number. What cannot be opened (no key, WAN secure off, NTLM, another enctype) is named
// in an Unopened frame and the halves hand the flow off, untouched. A PDU that does not verify
// is never repaired: it travels as a Verbatim frame and the other layer relays it exactly as
// received when nothing was renumbered yet (then the receiver sees exactly what was sent), and
// resets the flow otherwise.
//
// Pure: no sockets, no clock; every buffer capped (kMaxHeldBytes).

#include <functional>
#include <memory>
#include <string>

#include "accel/flow_filter.h"
#include "mapi/dcerpc/co_stream.h"
#include "mapi/dcerpc/protected_association.h"

namespace bh::mapi::mapi_ao {

using dcerpc::ProtectedAssociation;
using dcerpc::ProtectionProvider;

/// What the layer reports (counters, log lines) and asks of its flow.
class ProtectionEvents {
 public:
  virtual ~ProtectionEvents() = default;
  /// Edge: the client asked for a protected Kerberos association.
  virtual void onProtectedBind() {}
  /// Edge: the association was opened and the halves run on its plain PDUs.
  virtual void onProtectedOpened(const std::string& description) { (void)description; }
  /// A PDU of `from` that does not verify went on verbatim (`reset`: could not, flow reset).
  virtual void onVerbatim(dcerpc::Sender from, const std::string& why, bool reset) {
    (void)from, (void)why, (void)reset;
  }
  /// Protected PDUs opened and sealed by this layer.
  virtual void onPdusOpened(uint64_t n) { (void)n; }
  virtual void onPdusSealed(uint64_t n) { (void)n; }
  /// Core: the flow's peer leg is (or, for a leg still in its handshake, will be) TLS.
  virtual bool peerLegSecuring() const { return false; }
  /// Core: the peer leg's TLS handshake is confirmed.
  virtual bool peerLegSecured() const { return false; }
  /// Core: why the peer leg runs without WAN secure, when it does (an end's mode, WAN secure
  /// `auto` finding no need in the connection's first bytes, ...); "" when not known.
  virtual std::string peerLegClearReason() const { return ""; }
};

/// Client bytes (edge) or server bytes (core) the layer holds while it waits for the context
/// or for the peer leg's confirmation; beyond it the flow is reset.
constexpr size_t kMaxHeldBytes = 1u << 20;

class ProtectedMapiFilter : public accel::FlowFilter {
 public:
  virtual accel::FlowFilter& inner() = 0;
  virtual const accel::FlowFilter& inner() const = 0;
  /// Runs `step` on the inner filter and carries its output through this layer.
  virtual void runInner(const std::function<void(accel::FlowFilter&, Output&)>& step,
                        Output& out) = 0;
  /// The association's description once opened ("" before).
  virtual std::string protection() const = 0;
};

/// @param provider may be null (the box has no eMAPI): protected binds are then handed off.
std::unique_ptr<ProtectedMapiFilter> makeProtectedEdgeFilter(
    std::unique_ptr<accel::FlowFilter> inner, ProtectionProvider* provider,
    std::unique_ptr<ProtectionEvents> events);
std::unique_ptr<ProtectedMapiFilter> makeProtectedCoreFilter(
    std::unique_ptr<accel::FlowFilter> inner, ProtectionProvider* provider,
    std::unique_ptr<ProtectionEvents> events);

/// A bind or alter_context asking for Kerberos (auth_type 16, or SPNEGO 9) at packet
/// integrity or privacy: what the layer opens.
bool isProtectedKerberosBind(ByteSpan pdu);

}  // namespace bh::mapi::mapi_ao
