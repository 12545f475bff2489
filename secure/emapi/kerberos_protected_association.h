#pragma once

// The MAPI AO's ProtectedAssociation (mapi/dcerpc/protected_association.h) for Kerberos
// (auth_type 16, and 9: SPNEGO) at packet integrity or privacy, over one KerberosDceSession
// (issue 18). unwrap() opens a protected request/response into the plain PDU the halves read;
// seal() protects a plain one as this box's next PDU on behalf of its sender, with a fresh
// confounder and that sender's next SENT number, so the halves may answer, inject and keep PDUs
// while each side still sees an unbroken numbering (the renumbering of issue 18, kept by the
// session). exportContext() is the session's context in exported_context.h's frame; the edge
// continues from it with importContext().
//
// What seal() writes is what Samba and Windows write (MS-RPCE 2.2.2.11, 3.3.1.5.2; MS-KILE
// 3.4.5.4): the stub padded to 16 bytes (auth_pad_length), the bind's sec_trailer (auth_type,
// auth_level, auth_context_id), then the context's token: an RFC 4121 Wrap (EC 16, RRC 28) or MIC
// for AES, an RFC 4757 wrap or MIC for arcfour-hmac; the header and sec_trailer signed when the
// bind negotiated header signing.

#include <memory>
#include <string>
#include <vector>

#include "mapi/dcerpc/protected_association.h"
#include "secure/emapi/kerberos_dce_session.h"

namespace bh::secure::emapi {

class KerberosProtectedAssociation final : public mapi::dcerpc::ProtectedAssociation {
 public:
  /// The core's: the bind legs are opened with the service's keys. `crypto` must outlive it.
  KerberosProtectedAssociation(const Krb5Crypto& crypto,
                               std::vector<encryption_service::ServiceKey> keys);
  /// The edge's: continues from a context exportContext() made (keyed, maybe before the third
  /// leg, which it then observes itself).
  /// @return nullptr and `whyNot` when the context does not decode.
  static std::unique_ptr<KerberosProtectedAssociation> importContext(const Krb5Crypto& crypto,
                                                                     ByteSpan context,
                                                                     std::string& whyNot);

  ParseResult observeBindLeg(mapi::dcerpc::Sender from, ByteSpan pdu) override;
  bool keyed() const override { return why_.empty() && session_.keyed(); }
  bool established() const override { return why_.empty() && session_.established(); }
  const std::string& why() const override { return why_; }
  ParseResult unwrap(mapi::dcerpc::Sender from, ByteSpan pdu, Bytes& plain) override;
  bool seal(mapi::dcerpc::Sender from, ByteSpan plain, Bytes& pdu) override;
  uint64_t nextReceived(mapi::dcerpc::Sender from) const override;
  uint64_t nextSent(mapi::dcerpc::Sender from) const override;
  Bytes exportContext() const override;
  std::string describe() const override;

  const KerberosDceSession& session() const { return session_; }

 private:
  KerberosProtectedAssociation(const Krb5Crypto& crypto, const KerberosDceSession::Context& ctx);
  /// The key the context's tokens use (the acceptor's subkey, else the initiator's, else the
  /// session key) and the token kind that follows from it and the level.
  const KeyBlock& contextKey() const;
  std::optional<WrapKind> tokenKind() const;

  KerberosDceSession session_;
  std::string why_;
};

}  // namespace bh::secure::emapi
