#pragma once

// The EPM accelerator (WAAS "MS-port-mapper" AO): watches one TCP connection to the endpoint
// mapper (port 135), follows the bind to the EPM interface (C706 Appendix O, MS-RPCE 2.2.1.2.5),
// matches each ept_map request (opnum 3) with its response by call_id, and hands every
// ncacn_ip_tcp endpoint of a successful response to its EndpointSink, which installs a dynamic
// rule when the policy has an EPM map for the interface (so that the next connection to that
// address and port gets the map's treatment). It only reads: the proxy forwards every byte
// unchanged whatever happens here.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>

#include "common/bytes.h"
#include "common/ip_address.h"
#include "mapi/dcerpc/association.h"
#include "mapi/dcerpc/co_stream.h"
#include "mapi/epm/ept_map.h"
#include "mapi/epm_ao/endpoint_sink.h"
#include "mapi/epm_ao/epm_counters.h"

namespace bh::mapi::epm_ao {

/// Per-connection caps; each is proven by a unit test.
struct EpmAoLimits {
  /// ept_map calls awaiting their response on one connection (a client has one at a time; 32
  /// leaves room for PFC_CONC_MPX pipelining).
  size_t maxOutstandingCalls = 32;
  /// Rules one response may install (ept.idl allows 500 towers; real servers answer 1-4): the
  /// sink sees endpoints until this many led to a rule.
  size_t maxRulesPerResponse = 16;
  /// DCE/RPC stream caps per direction. ept_map calls are small: 500 towers of ~75 bytes.
  dcerpc::StreamLimits stream{65535, 64u << 10, 16, 256u << 10};
  epm::EpmLimits epm;
};

/// Why the accelerator stopped looking at a connection.
enum class EpmAoState { Active, Stopped };

/// One EPM connection. Not thread-safe (owned by the connection's event loop).
class EpmAccelerator {
 public:
  /// @param server the server address the client connected to; used when a tower's IPv4 floor
  ///        is 0.0.0.0 (the server's "any address" answer).
  /// @param sink where the endpoints handed out go (outlives this).
  /// @param counters the accelerator-wide counters (outlive this object).
  EpmAccelerator(const IpAddress& server, EndpointSink& sink, EpmCounters& counters,
                 EpmAoLimits limits = {});
  ~EpmAccelerator();
  EpmAccelerator(const EpmAccelerator&) = delete;
  EpmAccelerator& operator=(const EpmAccelerator&) = delete;

  /// Client→server bytes, in order, any chunking. Never modifies or holds them beyond a partial
  /// PDU's worth of copy.
  void onClientData(ByteSpan data);
  /// Server→client bytes.
  void onServerData(ByteSpan data);

  EpmAoState state() const { return state_; }
  /// Reason of the stop ("" while active).
  const std::string& stopReason() const { return stopReason_; }
  size_t outstandingCalls() const { return outstanding_.size(); }
  const dcerpc::Association& association() const { return association_; }

 private:
  void onData(dcerpc::CoStream& stream, ByteSpan data, bool fromClient);
  void onPdu(const dcerpc::Pdu& pdu, bool fromClient);
  void onCall(const dcerpc::Call& call, bool fromClient);
  void onRequest(const dcerpc::Call& call);
  void onResponse(const dcerpc::Call& call);
  void reportEndpoints(const epm::EptMapResponse& response);
  /// Hard error: count it against the direction it came from and stop looking.
  void stop(std::string why, bool fromClient);
  /// True when `contextId` was accepted for EPM v3 with NDR 2.0.
  bool isEpmNdrContext(uint16_t contextId) const;

  IpAddress server_;
  EndpointSink& sink_;
  EpmCounters& counters_;
  EpmAoLimits limits_;
  dcerpc::Association association_;
  dcerpc::CoStream fromClient_;
  dcerpc::CoStream fromServer_;
  /// call_id -> the interface the request asked for (if its map tower named one).
  std::map<uint32_t, std::optional<dcerpc::SyntaxId>> outstanding_;
  EpmAoState state_ = EpmAoState::Active;
  std::string stopReason_;
};

}  // namespace bh::mapi::epm_ao
