#pragma once

// Where the EPM AO's findings go. The AO only reads the endpoint mapper's answers; what to do
// with an endpoint it saw handed out (install a dynamic rule when the box's policy has an EPM
// map for the interface) is the box's business (box/epm_dynamic_rules.h), so the AO takes no
// policy types (docs/ARCHITECTURE.md, "what each part may include").

#include <cstdint>
#include <string>

#include "common/ip_address.h"

namespace bh::mapi::epm_ao {

/// One ncacn_ip_tcp endpoint of a successful ept_map answer (C706 Appendix L, the tower's
/// floors 1, 4 and 5; MS-RPCE 2.2.1.2.5).
struct MappedEndpoint {
  /// The interface the tower names, lower-case text ("a4f1db00-ca47-1067-b31f-00dd010662da").
  std::string interfaceUuid;
  /// The floor-5 address, or the server the client talked to when the floor says 0.0.0.0.
  IpAddress address;
  uint16_t port = 0;
};

/// Receives the endpoints one EPM connection saw handed out. One per connection, made when the
/// connection starts (so it may keep the policy in force then). Single event loop.
class EndpointSink {
 public:
  virtual ~EndpointSink() = default;
  /// True when the endpoint led to a dynamic rule (counted as "Dynamic rules installed");
  /// false when nothing wants it (no EPM map for its interface).
  virtual bool onMappedEndpoint(const MappedEndpoint& endpoint) = 0;
};

}  // namespace bh::mapi::epm_ao
