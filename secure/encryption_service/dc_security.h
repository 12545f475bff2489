#pragma once

// The security context of one DRSUAPI connection to a DC, as the replication retrieval uses it:
// the sealed association's provider (Kerberos at packet privacy, MS-DRSR 2.2.3.1), the SPN it is
// for, its last step's outcome named, and the session key the DC encrypts the secret attributes
// with (MS-DRSR 4.1.10.6.17). The product's is Kerberos as the identity for the DC's host SPN
// (replication_retrieval.cc over secure/kerberos/gss_dce_context.h); the unit tests put a fake
// beside a fake DC, so the DRSUAPI steps run without a KDC.

#include <string>

#include "common/bytes.h"
#include "secure/kerberos/gss_status.h"
#include "secure/sealed_rpc/client_security.h"

namespace bh::secure::encryption_service {

class DcSecurity : public sealed_rpc::ClientSecurity {
 public:
  /// "host/dc1.example.com@EXAMPLE.COM" (for the sr-errorlog's DRS_SPN line).
  virtual std::string target() const = 0;
  /// The last step's outcome (ServerUnknown, ClockSkew, ...): how a failed bind is named.
  virtual kerberos::GssStatus lastStatus() const = 0;
  /// The context's session key once established; empty when there is none.
  virtual Bytes sessionKey() const = 0;
};

}  // namespace bh::secure::encryption_service
