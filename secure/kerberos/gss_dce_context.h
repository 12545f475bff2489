#pragma once
// A Kerberos GSS-API initiator in DCE style (RFC 4121 with MS-KILE 3.4.5.1: GSS_C_DCE_STYLE, the
// AP-REQ and AP-REP tokens raw, a third leg carrying the client's AP-REP) with the flags the
// encryption service binds DRSUAPI with: mutual authentication, confidentiality, integrity,
// sequence and replay detection. Sealing is gss_wrap_iov / gss_unwrap_iov with the token in a
// HEADER buffer, the stub as DATA and, with header signing, the PDU header and sec_trailer as
// SIGN_ONLY (MS-RPCE 3.3.1.5.2.2; Samba's gssapi_seal_packet does the same).
//
// Blocking on its first token: MIT krb5 asks the KDC for the service ticket unless the
// credential's cache holds one. Every failure is named in lastStatus().

#include <memory>
#include <string>

#include "secure/kerberos/gss_credential.h"
#include "secure/kerberos/gss_status.h"
#include "secure/sealed_rpc/client_security.h"

namespace bh::secure::kerberos {

/// How the context binds: the mechanism (raw Kerberos, auth_type 16, or Kerberos through SPNEGO,
/// auth_type 9: NegTokenInit/NegTokenResp around the same DCE-style tokens, a fourth leg in
/// alter_context_resp) and the level (privacy wraps, integrity signs with MIC tokens).
struct GssDceOptions {
  bool spnego = false;
  bool integrity = false;
};

class GssDceContext final : public sealed_rpc::ClientSecurity {
 public:
  /// @param credential the identity's credential; it must outlive this context.
  /// @param target the server's principal: a service principal name such as
  ///        "host/dc1.bhlab.test" (the credential's realm is added) or "SPN@REALM".
  GssDceContext(const GssCredential& credential, std::string target, GssDceOptions options = {});
  ~GssDceContext() override;

  mapi::dcerpc::AuthType authType() const override {
    return options_.spnego ? mapi::dcerpc::AuthType::Spnego : mapi::dcerpc::AuthType::Kerberos;
  }
  mapi::dcerpc::AuthLevel authLevel() const override {
    return options_.integrity ? mapi::dcerpc::AuthLevel::PktIntegrity
                              : mapi::dcerpc::AuthLevel::PktPrivacy;
  }
  bool fourLegs() const override { return options_.spnego; }
  bool initialToken(Bytes& out) override;
  bool acceptReply(ByteSpan reply, Bytes& out) override;
  bool acceptFinal(ByteSpan token) override;
  size_t sealedTokenSize() override;
  bool seal(ByteSpan preSign, std::span<uint8_t> data, ByteSpan postSign,
            std::span<uint8_t> token) override;
  bool unseal(ByteSpan preSign, std::span<uint8_t> data, ByteSpan postSign,
              ByteSpan token) override;
  std::string lastError() const override { return status_.describe(); }

  /// The last step's outcome, named (ServerUnknown, ClockSkew, VerifyFailed, ...).
  const GssStatus& lastStatus() const { return status_; }
  /// True once the third leg's token is made.
  bool established() const { return established_; }
  /// The GSS flags the context ended with (GSS_C_*_FLAG bits).
  uint32_t returnedFlags() const { return returnedFlags_; }
  /// The target principal as imported.
  const std::string& target() const { return target_; }
  /// The context's session key (GSS_C_INQ_SSPI_SESSION_KEY: the acceptor's subkey when it sent
  /// one), what MS-DRSR 4.1.10.6.17 encrypts replicated secrets with; empty before the context is
  /// established or when the mechanism does not say. Secret: the caller wipes it.
  Bytes sessionKey() const;

  struct Impl;

 private:
  enum class Expect { Continue, Complete, Either };
  bool step(ByteSpan input, Bytes& out, Expect expect);

  const GssCredential& credential_;
  std::string target_;
  GssDceOptions options_;
  std::unique_ptr<Impl> impl_;
  GssStatus status_;
  bool established_ = false;
  uint32_t returnedFlags_ = 0;
};

}  // namespace bh::secure::kerberos
