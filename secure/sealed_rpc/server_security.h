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

  /// The sec_trailer's auth_type this provider speaks (16 for Kerberos, MS-RPCE 2.2.1.1.7).
  virtual mapi::dcerpc::AuthType authType() const = 0;
  /// Takes the bind's auth_value (the AP-REQ) and gives bind_ack's (the AP-REP).
  /// @return false when the AP-REQ does not verify (lastError() says why).
  virtual bool acceptInitial(ByteSpan apReq, Bytes& apRep) = 0;
  /// Takes rpc_auth_3's auth_value (the client's AP-REP); the context is established after it.
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
