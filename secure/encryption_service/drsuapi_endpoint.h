#pragma once

// Reaching a DC's DRSUAPI interface over an RpcTransport: one whole DCE/RPC PDU off the
// stream, and the interface's TCP port from the DC's endpoint mapper (ept_map on 135). Shared
// by the replication retrieval and the lab's probe tool (tests/lab/tools/sealed_rpc_probe.cc).

#include <optional>
#include <string>

#include "common/bytes.h"
#include "mapi/epm/tower.h"
#include "secure/encryption_service/rpc_transport.h"

namespace bh::secure::encryption_service {

/// The endpoint mapper's well-known port (C706 appendix L).
constexpr uint16_t kEndpointMapperPort = 135;

/// One whole PDU into `out` (cleared first): the 16-byte common header, then the rest of
/// frag_length (MS-RPCE 2.2.2.1; the data representation's byte order applies to frag_length).
/// @return false with `why` when the transport fails or frag_length is shorter than a header.
bool readPdu(RpcTransport& t, Bytes& out, std::string& why);

/// ept_map for DRSUAPI over ncacn_ip_tcp, on an unauthenticated association to `address`:135
/// (C706 appendix L; what every Windows client asks). The connection is closed on success.
/// @return the endpoint the mapper names (its port non-zero; its address as the mapper gave
/// it, Samba's 0.0.0.0: connect to the DC's own), or nullopt with `why`.
std::optional<mapi::epm::Endpoint> lookupDrsuapiEndpoint(RpcTransport& t,
                                                         const std::string& address,
                                                         std::string& why);

}  // namespace bh::secure::encryption_service
