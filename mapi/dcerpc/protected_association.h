#pragma once

// eMAPI (issue 18): a signed or sealed DCE/RPC association (MS-RPCE 3.3.1.5.2, Kerberos auth
// types 16 and 9 at packet integrity or privacy) opened from the middle. The MAPI AO's halves
// read plain PDUs; what protects them on the LAN legs lives behind this interface (beside the
// stream engine's security_provider.h), so mapi/ never links Kerberos (the implementation:
// secure/emapi/kerberos_protected_association.h).
//
// Renumbering. Each half sends its own side PDUs the other end never sent (the edge's local
// answers, the core's read-ahead calls) and keeps PDUs from it (a call answered at the edge
// never reaches Exchange), so the numbers a half receives from its side and those it sends to
// it differ. Per sender this keeps two counters: the next number that sender's PDUs must carry
// as received (checked by unwrap) and the next number this box seals with when it sends on that
// sender's behalf (seal). They start equal and drift apart for the connection's whole life; a
// PDU is never sent with a number its receiver does not expect.

#include <cstdint>
#include <memory>
#include <string>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "mapi/dcerpc/co_stream.h"

namespace bh::mapi::dcerpc {

class ProtectedAssociation {
 public:
  virtual ~ProtectedAssociation() = default;

  /// One bind-family PDU (bind, bind_ack, alter_context, alter_context_resp, rpc_auth_3,
  /// bind_nak) sent by `from`, in that sender's order, exactly as on the wire.
  /// @return Done, or Error (the association cannot be followed; why()).
  virtual ParseResult observeBindLeg(Sender from, ByteSpan pdu) = 0;
  /// The server's bind_ack was read: the keys are known (exportContext may be called).
  virtual bool keyed() const = 0;
  /// Every leg of the bind was read: requests and responses may be unwrapped and sealed.
  virtual bool established() const = 0;
  /// Why the association failed (empty while it has not).
  virtual const std::string& why() const = 0;

  /// Opens one protected request (from the client) or response (from the server), which must
  /// carry that sender's next number as received. `plain` receives the same PDU unprotected: the
  /// stub in clear without its auth padding, no sec_trailer and verifier, auth_length 0 and
  /// frag_length counting what is left (everything else as received).
  /// @return Done, or Error (a verifier that does not check, a number out of sequence, a PDU in
  ///         the clear; the association is not changed by a refused PDU).
  virtual ParseResult unwrap(Sender from, ByteSpan pdu, Bytes& plain) = 0;
  /// Protects a plain request/response PDU (as unwrap makes them) as the next PDU this box
  /// sends on behalf of `from`, with the context's key, level, auth_context_id, padding and the
  /// next number of this box's own numbering for that sender.
  /// @return false when the PDU is not a plain request/response or the context is not
  ///         established.
  virtual bool seal(Sender from, ByteSpan plain, Bytes& pdu) = 0;

  /// The number the next PDU received from `from` must carry.
  virtual uint64_t nextReceived(Sender from) const = 0;
  /// The number this box seals its next PDU sent on behalf of `from` with.
  virtual uint64_t nextSent(Sender from) const = 0;

  /// The context as the core hands it to the edge (only over a secured peer leg, issue 18):
  /// keys, bind state and both senders' numbers. Secret: never logged.
  virtual Bytes exportContext() const = 0;
  /// "Kerberos aes256-cts-hmac-sha1-96 packet privacy" (no key material) for logs and shows.
  virtual std::string describe() const = 0;
};

/// Where the halves get associations from (the box gives one to the MAPI accelerator; none:
/// protected binds are handed off as before).
class ProtectionProvider {
 public:
  virtual ~ProtectionProvider() = default;
  /// Core: the client's bind asks for Kerberos (auth_type 16 or 9) at integrity or privacy.
  /// Returns the association with this bind observed, or nullptr and why not, in words an
  /// engineer acts on ("no key for exchangeMDB/exch1.example.com yet: retrieval in progress",
  /// "no service key for the ticket (etype 18 kvno 3)", "encryption service disabled").
  virtual std::unique_ptr<ProtectedAssociation> openBind(ByteSpan bindPdu, std::string& whyNot) = 0;
  /// Edge: the association from the core's exportContext(), or nullptr and why not.
  virtual std::unique_ptr<ProtectedAssociation> importContext(ByteSpan context,
                                                              std::string& whyNot) = 0;
};

}  // namespace bh::mapi::dcerpc
