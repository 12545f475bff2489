#pragma once
// The security provider behind a sealed client association (MS-RPCE 3.3.1.5.2): the three-leg
// DCE-style authentication (MS-KILE 3.4.5.1: bind carries the AP-REQ, bind_ack the server's
// AP-REP, rpc_auth_3 the client's AP-REP) and the per-PDU seal and unseal at packet privacy.
// The Kerberos one is secure/kerberos/gss_dce_context.h; tests drive the association with a
// fake.

#include <cstddef>
#include <span>
#include <string>

#include "common/bytes.h"
#include "mapi/dcerpc/pdu.h"

namespace bh::secure::sealed_rpc {

class ClientSecurity {
 public:
  virtual ~ClientSecurity() = default;

  /// The sec_trailer's auth_type (16 for Kerberos, MS-RPCE 2.2.1.1.7).
  virtual mapi::dcerpc::AuthType authType() const = 0;

  /// The bind's auth_value (the AP-REQ). @return false on failure (lastError() says why).
  virtual bool initialToken(Bytes& out) = 0;
  /// Takes the bind_ack's auth_value (the AP-REP) and gives rpc_auth_3's (the client's AP-REP);
  /// the context is established after it. @return false on failure.
  virtual bool acceptReply(ByteSpan reply, Bytes& out) = 0;

  /// auth_length of a sealed PDU (the whole token in the auth_value, DCE style), or 0 when the
  /// context cannot say.
  virtual size_t sealedTokenSize() = 0;

  /// Seals `data` (stub + auth padding) in place and writes the token into `token` (exactly
  /// sealedTokenSize() bytes). With header signing `preSign` is the PDU before the stub and
  /// `postSign` the sec_trailer (MS-RPCE 2.2.2.11, 3.3.1.5.2.2); both empty without it.
  virtual bool seal(ByteSpan preSign, std::span<uint8_t> data, ByteSpan postSign,
                    std::span<uint8_t> token) = 0;
  /// Verifies and decrypts `data` in place against `token`; false when it does not verify or
  /// is out of sequence.
  virtual bool unseal(ByteSpan preSign, std::span<uint8_t> data, ByteSpan postSign,
                      ByteSpan token) = 0;

  /// Why the last call failed: operator text, never key, ticket or plaintext bytes.
  virtual std::string lastError() const = 0;
};

}  // namespace bh::secure::sealed_rpc
