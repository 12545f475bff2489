#pragma once
// A Kerberos GSS-API acceptor in DCE style (MS-KILE 3.4.5.1 from the server's side), the
// sealed_rpc::ServerSecurity of exchange-sim: gss_accept_sec_context with the service's keytab
// (no KDC is asked), the AP-REQ in, the AP-REP (with the acceptor subkey) out, and then the
// client's AP-REP from rpc_auth_3 completing the context. Sealing as the initiator's
// (gss_wrap_iov.h), in the acceptor's direction (RFC 4121 key usages 22/24).

#include <memory>
#include <string>

#include "secure/kerberos/gss_status.h"
#include "secure/sealed_rpc/server_security.h"

namespace bh::secure::kerberos {

class GssDceAcceptor final : public sealed_rpc::ServerSecurity {
 public:
  /// @param keytabPath the service account's keytab (for exchange-sim, EXCH1$'s: the tickets
  ///        for exchangeMDB/<fqdn> are encrypted with that account's key). Any principal of
  ///        the keytab is accepted (GSS_C_NO_NAME).
  /// @param spnego auth_type 9: the tokens in SPNEGO (RFC 4178) around the same DCE-style
  ///        Kerberos, the client's NegTokenResp in alter_context and our last one in
  ///        alter_context_resp (finalToken()).
  explicit GssDceAcceptor(std::string keytabPath, bool spnego = false);
  ~GssDceAcceptor() override;

  mapi::dcerpc::AuthType authType() const override {
    return spnego_ ? mapi::dcerpc::AuthType::Spnego : mapi::dcerpc::AuthType::Kerberos;
  }
  bool setAuthLevel(mapi::dcerpc::AuthLevel level) override;
  bool acceptInitial(ByteSpan apReq, Bytes& apRep) override;
  bool acceptFinal(ByteSpan clientApRep) override;
  Bytes finalToken() const override { return finalToken_; }
  bool established() const override { return established_; }
  size_t sealedTokenSize() override;
  bool seal(ByteSpan preSign, std::span<uint8_t> data, ByteSpan postSign,
            std::span<uint8_t> token) override;
  bool unseal(ByteSpan preSign, std::span<uint8_t> data, ByteSpan postSign,
              ByteSpan token) override;
  std::string lastError() const override { return status_.describe(); }

  const GssStatus& lastStatus() const { return status_; }
  std::string initiator() const override { return initiator_; }
  /// The GSS flags of the context (GSS_C_*_FLAG bits), once established.
  uint32_t returnedFlags() const { return returnedFlags_; }

  struct Impl;

 private:
  bool step(ByteSpan input, Bytes& out, bool expectComplete);

  std::string keytabPath_;
  bool spnego_;
  bool integrity_ = false;
  Bytes finalToken_;
  std::unique_ptr<Impl> impl_;
  GssStatus status_;
  bool established_ = false;
  uint32_t returnedFlags_ = 0;
  std::string initiator_;
};

}  // namespace bh::secure::kerberos
