#pragma once
// The acceptor's side of the security provider behind a sealed association (MS-RPCE 3.3.1.5.2
// seen from the server): the DCE-style legs (MS-KILE 3.4.5.1: the bind's AP-REQ answered with
// the server's AP-REP in bind_ack, the client's AP-REP taken from rpc_auth_3) and the per-PDU
// seal and unseal. The Kerberos one is secure/kerberos/gss_dce_acceptor.h.

#include <cstddef>
#include <span>
#include <string>

#include "common/bytes.h"
#include "mapi/dcerpc/pdu.h"

namespace bh::secure::sealed_rpc {

class ServerSecurity {
 public:
  virtual ~ServerSecurity() = default;

  /// The sec_trailer's auth_type this provider speaks (16 for Kerberos, 9 for SPNEGO,
  /// MS-RPCE 2.2.1.1.7).
  virtual mapi::dcerpc::AuthType authType() const = 0;
  /// The bind's auth_level, given before acceptInitial: 6 wraps (packet privacy), 5 signs
  /// (packet integrity, a MIC token and the stub clear). @return false for a level the provider
  /// does not serve (the bind is refused).
  virtual bool setAuthLevel(mapi::dcerpc::AuthLevel level) {
    return level == mapi::dcerpc::AuthLevel::PktPrivacy;
  }
  /// After acceptFinal: the token for the fourth leg's alter_context_resp (SPNEGO's final
  /// NegTokenResp), empty when there is none (three legs, rpc_auth_3 has no answer).
  virtual Bytes finalToken() const { return {}; }
  /// Takes the bind's auth_value (the AP-REQ) and gives bind_ack's (the AP-REP).
  /// @return false when the AP-REQ does not verify (lastError() says why).
  virtual bool acceptInitial(ByteSpan apReq, Bytes& apRep) = 0;
  /// Takes the third leg's auth_value (rpc_auth_3's AP-REP, or the alter_context's NegTokenResp
  /// carrying it); the context is established after it.
  virtual bool acceptFinal(ByteSpan clientApRep) = 0;
  virtual bool established() const = 0;
  /// The client's name once its AP-REQ verified ("alice@BHLAB.TEST"), for logs.
  virtual std::string initiator() const = 0;

  /// auth_length of a sealed PDU, or 0 when the context cannot say.
  virtual size_t sealedTokenSize() = 0;
  /// As ClientSecurity::seal / unseal (client_security.h), in the acceptor's direction.
  virtual bool seal(ByteSpan preSign, std::span<uint8_t> data, ByteSpan postSign,
                    std::span<uint8_t> token) = 0;
  virtual bool unseal(ByteSpan preSign, std::span<uint8_t> data, ByteSpan postSign,
                      ByteSpan token) = 0;

  /// Why the last call failed: operator text, never key, ticket or plaintext bytes.
  virtual std::string lastError() const = 0;
};

}  // namespace bh::secure::sealed_rpc
