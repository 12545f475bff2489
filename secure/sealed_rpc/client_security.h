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

  /// The sec_trailer's auth_type (16 for Kerberos, 9 for SPNEGO, MS-RPCE 2.2.1.1.7).
  virtual mapi::dcerpc::AuthType authType() const = 0;
  /// The sec_trailer's auth_level: 6 (packet privacy: seal wraps the stub) or 5 (packet
  /// integrity: seal leaves the stub clear and writes a MIC token, MS-RPCE 3.3.1.5.2).
  virtual mapi::dcerpc::AuthLevel authLevel() const { return mapi::dcerpc::AuthLevel::PktPrivacy; }
  /// True when the third leg goes in an alter_context whose alter_context_resp carries a
  /// fourth (SPNEGO, MS-RPCE 3.3.1.5.2.1: the client's NegTokenResp, then the server's last
  /// one); false for rpc_auth_3 (Kerberos' three DCE legs, MS-KILE 3.4.5.1).
  virtual bool fourLegs() const { return false; }
  /// The fourth leg: the alter_context_resp's auth_value (SPNEGO's final NegTokenResp, with
  /// the server's mechListMIC when one is required). @return false when it does not verify.
  virtual bool acceptFinal(ByteSpan /*token*/) { return false; }

  /// The bind's auth_value (the AP-REQ). @return false on failure (lastError() says why).
  virtual bool initialToken(Bytes& out) = 0;
  /// Takes the bind_ack's auth_value (the AP-REP) and gives the third leg's (the client's
  /// AP-REP, in SPNEGO's NegTokenResp); with three legs the context is established after it.
  /// @return false on failure.
  virtual bool acceptReply(ByteSpan reply, Bytes& out) = 0;

  /// auth_length of a sealed PDU (the whole token in the auth_value, DCE style), or 0 when the
  /// context cannot say.
  virtual size_t sealedTokenSize() = 0;

  /// Seals `data` (stub + auth padding) in place and writes the token into `token` (exactly
  /// sealedTokenSize() bytes); at packet integrity `data` stays as it is and the token is a MIC
  /// over `preSign`, `data` and `postSign` in that order (they are contiguous in the PDU). With
  /// header signing `preSign` is the PDU before the stub and `postSign` the sec_trailer
  /// (MS-RPCE 2.2.2.11, 3.3.1.5.2.2); both empty without it.
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
