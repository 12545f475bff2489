#pragma once

// What the auth_value of a bind, bind_ack, rpc_auth_3, alter_context or alter_context_resp holds
// for Kerberos (MS-RPCE 2.2.1.1.7): auth_type 16 carries the krb5 mechanism's token itself, in
// DCE style the bare AP-REQ / AP-REP (MS-KILE 3.4.5.1), or framed as RFC 2743 3.1's
// InitialContextToken (60 len 06 09 <krb5 OID> TOK_ID) by other stacks; auth_type 9 wraps it in
// SPNEGO (RFC 4178 4.2): NegTokenInit's mechToken, NegTokenResp's responseToken, and a
// mechListMIC that is a krb5 GetMIC token and so takes one sequence number of its sender
// (emapi-lab.md 4.4).

#include <cstdint>
#include <optional>

#include "common/bytes.h"
#include "common/parse_result.h"

namespace bh::secure::emapi {

enum class KrbToken { None, ApReq, ApRep };

struct DceAuthToken {
  KrbToken kind = KrbToken::None;
  ByteSpan message;             ///< the DER AP-REQ or AP-REP (into the input)
  bool mechListMic = false;     ///< SPNEGO: a mechListMIC is present
  std::optional<int> negState;  ///< SPNEGO NegTokenResp: 0 accept-completed, 1 accept-incomplete
};

/// Reads one auth_value of auth_type 16 (Kerberos) or 9 (SPNEGO). The auth_value is whole (the
/// PDU was framed by frag_length): Done or Error, never NeedMore. A SPNEGO token without a
/// mechanism token (accept-completed with only a MIC) is Done with kind None.
ParseResult readDceAuthToken(uint8_t authType, ByteSpan authValue, DceAuthToken& out);

}  // namespace bh::secure::emapi
