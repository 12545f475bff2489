#pragma once

// The per-PDU stage of a DCE/RPC stream between framing and reassembly: where a security
// provider checks and removes the protection of a PDU (MS-RPCE 3.3.1.5.2, the sec_trailer and
// auth_value of 2.2.2.11, the stub padding auth_pad_length counts) before its stub joins the
// call's. The identity (below) is what the accelerators use today: signed or sealed binds are
// handed off before a call is read. The Kerberos one (eMAPI, issue 18) is
// secure/emapi/kerberos_security_provider.h, one implementation of this interface, without
// touching the framing or the reassembly around it (mapi/ itself never links Kerberos).

#include "common/bytes.h"
#include "common/parse_result.h"
#include "mapi/dcerpc/pdu.h"

namespace bh::mapi::dcerpc {

class SecurityProvider {
 public:
  virtual ~SecurityProvider() = default;
  /// Called once for every decoded PDU, in stream order, before reassembly.
  /// @param pdu the decoded PDU; an implementation may replace the stub of a request or
  ///        response with its plain text and drop `auth` (what reassembly joins is then plain).
  /// @param raw the PDU exactly as received (what a signature covers).
  /// @return Done, or Error (the stream stops: a PDU that does not verify is not read).
  virtual ParseResult unwrap(Pdu& pdu, ByteSpan raw) = 0;
};

/// The identity: every PDU goes to reassembly as decoded (its stub as sent, `auth` kept for the
/// caller to see). Right for the unauthenticated and connect-level binds the accelerators read.
class IdentitySecurityProvider final : public SecurityProvider {
 public:
  ParseResult unwrap(Pdu& pdu, ByteSpan raw) override;
  /// The one instance streams use when given no provider.
  static IdentitySecurityProvider& instance();
};

}  // namespace bh::mapi::dcerpc
