#pragma once

// The eMAPI unwrap stage of the DCE/RPC stream engine (mapi/dcerpc/security_provider.h): one
// per direction of a connection, both sharing the connection's KerberosDceSession. The bind legs
// open the session; every request (client stream) and response (server stream) after that is
// unwrapped, its stub replaced by the plaintext without the auth padding and its auth trailer
// dropped, so reassembly and the MAPI accelerator above see a clear association. A PDU that does
// not verify, is out of sequence, or arrives in the clear once the context is established is an
// error: the stream stops (the accelerator hands the connection off or resets it; it never
// forwards what it could not check as if it had). The session itself is not changed by the
// refused PDU (its state and numbers stay as they were); stopping is this stage's decision.
//
// Re-sealing what the accelerator forwards or answers, with each direction's own sent numbers,
// is the session's sealNext(); the MAPI AO's halves use kerberos_protected_association.h.

#include "mapi/dcerpc/security_provider.h"
#include "secure/emapi/kerberos_dce_session.h"

namespace bh::secure::emapi {

class KerberosSecurityProvider final : public mapi::dcerpc::SecurityProvider {
 public:
  /// @param session the connection's; must outlive the provider.
  /// @param dir FromInitiator for the client's stream, FromAcceptor for the server's.
  KerberosSecurityProvider(KerberosDceSession& session, Direction dir)
      : session_(session), dir_(dir) {}

  ParseResult unwrap(mapi::dcerpc::Pdu& pdu, ByteSpan raw) override;

  /// Sealed PDUs unwrapped by this provider.
  uint64_t unwrapped() const { return unwrapped_; }

 private:
  KerberosDceSession& session_;
  Direction dir_;
  uint64_t unwrapped_ = 0;
};

}  // namespace bh::secure::emapi
