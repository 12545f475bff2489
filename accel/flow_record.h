#pragma once

// The part of a flow's record an accelerator reads and updates: who the flow is between, which
// side of it this box is, whether an accelerator gave it to the generic one, and the
// accelerator's own per-connection record (shown by `show statistics connection ... detail`).
// The box's full record (proxy/flow_info.h) extends it with what only the box knows.

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/ip_address.h"

namespace bh::accel {

/// One end of a flow.
struct Endpoint {
  IpAddress ip;
  uint16_t port = 0;
  std::string toString() const;
};

/// An accelerator's own record of one connection (e.g. the MAPI AO's "MAPI : <id>" block).
class AcceleratorRecord {
 public:
  virtual ~AcceleratorRecord() = default;
  /// The key of this record in a connection's JSON ("mapi").
  virtual const char* jsonKey() const = 0;
  virtual nlohmann::json toJson() const = 0;
  /// The block `show statistics connection ... detail` appends for the connection; the byte
  /// totals are the flow's original (LAN side) bytes.
  virtual std::string detailText(uint64_t connId, uint64_t lanBytesRead,
                                 uint64_t lanBytesWritten) const = 0;
};

struct FlowRecord {
  uint64_t connId = 0;
  Endpoint client;
  Endpoint server;
  bool coreSide = false;  ///< this box is the core for the flow ("EXTERNAL CLIENT" on edge)
  /// WAN secure: the peer leg runs TLS or is starting it (both ends' modes agreed on TLS, or
  /// both are `auto` and the flow's first bytes needed it: proxy/wan_secure/leg_security.h);
  /// and its handshake is confirmed (an accelerator sends secrets only then: eMAPI).
  bool wanSecureLeg = false;
  bool wanSecured = false;
  /// Why the peer leg runs without WAN secure, when it does (an end's mode is `never`, both
  /// are `auto` and the flow's first bytes did not need it, WAN secure unavailable): what an
  /// accelerator that needs it names when it hands the flow off.
  std::string wanSecureOff;
  bool handedOffToGeneric = false;  ///< an AO gave the flow to the generic AO ("G")
  std::string handOffReason;        ///< why, when an AO handed it off
  /// The accelerator's record of this connection, when one handles it (shared: a listing of
  /// the flows copies the records, the accelerator keeps updating its own).
  std::shared_ptr<AcceleratorRecord> accelerator;
};

}  // namespace bh::accel
