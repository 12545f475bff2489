#pragma once

// One Kerberos-protected DCE/RPC association seen from the middle, with the service's keys
// (issue 18): the three legs of the DCE-style bind (MS-KILE 3.4.5.1; auth_type 16: bind,
// bind_ack, rpc_auth_3; auth_type 9: bind, bind_ack, alter_context, alter_context_resp) are
// observed both ways and opened (ap_exchange.h); then every request and response is unwrapped
// (dce_seal.h) with the right key and the sequence number each direction must carry next, and
// can be sealed again. What each direction starts at: the authenticator's seq-number (client) and
// the AP-REP's (server), each one further when that side sent a SPNEGO mechListMIC, which is a
// GetMIC token of the same context (emapi-lab.md 4.4). Samba and Windows negotiate GSS_C_SEQUENCE
// and GSS_C_REPLAY, so a PDU out of sequence is an error here as it is at the real acceptor.
//
// Renumbering (issue 18): a box in the middle answers some calls itself and sends calls of its
// own, so per direction it keeps two numbers: the next one that direction's PDUs must carry as
// received (checked and advanced by unwrap) and the next one it seals with when it sends on that
// direction's behalf (advanced by sealNext). Both start at the bind's; they drift apart for the
// connection's life. A PDU unwrap refuses changes neither, nor the state: the caller decides
// (it may relay that PDU verbatim, or stop).
//
// Pure: bytes in, results out; keys never leave (no log or error text carries them).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "secure/emapi/ap_exchange.h"
#include "secure/emapi/dce_seal.h"
#include "secure/emapi/krb5_crypto.h"
#include "secure/encryption_service/service_key.h"

namespace bh::secure::emapi {

class KerberosDceSession {
 public:
  enum class State {
    AwaitingBind,
    AwaitingBindAck,
    AwaitingThirdLeg,
    AwaitingAlterContextResp,
    Established,
    Failed
  };

  /// Each direction's two numbers.
  struct Numbers {
    uint64_t received = 0;  ///< the next number a PDU of this direction must carry
    uint64_t sent = 0;      ///< the next number this box seals with on this direction's behalf
  };

  /// What a keyed session continues from elsewhere (the core hands it to the edge): the state
  /// (AwaitingThirdLeg, AwaitingAlterContextResp or Established), what the bind negotiated, the
  /// keys and both directions' numbers. Secret (the keys): never logged.
  struct Context {
    State state = State::Established;
    uint8_t authType = 0;
    uint8_t authLevel = 0;
    uint32_t authContextId = 0;
    ContextKeys keys;
    Numbers initiator;
    Numbers acceptor;
  };

  KerberosDceSession(const Krb5Crypto& crypto, std::vector<encryption_service::ServiceKey> keys);
  /// A session continuing `ctx` (its remaining bind legs are observed as usual). No service keys:
  /// such a session cannot open a bind of its own.
  KerberosDceSession(const Krb5Crypto& crypto, const Context& ctx);
  ~KerberosDceSession();
  KerberosDceSession(const KerberosDceSession&) = delete;
  KerberosDceSession& operator=(const KerberosDceSession&) = delete;

  /// One framed PDU of the association, in stream order per direction: bind-family PDUs drive
  /// the establishment; requests/responses are checked and counted (use unwrap() to open them).
  /// @return Done, or Error (the session is then Failed, with why()).
  ParseResult observeBindLeg(Direction dir, ByteSpan pdu);

  /// Opens a request/response PDU sent in `dir`: its sec_trailer must be the bind's (auth_type,
  /// auth_level, auth_context_id) and its token carry the next number received from that
  /// direction, which then advances. `plainStub` receives the stub without padding; `info` what
  /// sealing the same bytes again needs. Error (the PDU does not verify, is out of sequence, in
  /// the clear, or the context is not established) changes nothing: neither the state nor a
  /// number.
  ParseResult unwrap(Direction dir, ByteSpan pdu, Bytes& plainStub, Unwrapped& info);

  /// Seals `pdu` in place (see sealPdu) as the next PDU this box sends on behalf of `dir`, with
  /// the token kind and flags this context uses, `confounder` (16 bytes AES, 8 RC4, none for a
  /// MIC) and that direction's next sent number, which then advances.
  bool sealNext(Direction dir, WrapKind kind, ByteSpan confounder, Bytes& pdu);

  /// The context as it stands (meaningful once keyed(): after the bind_ack).
  Context context() const;

  State state() const { return state_; }
  const std::string& why() const { return why_; }
  bool established() const { return state_ == State::Established; }
  /// The bind_ack was read: the keys are known.
  bool keyed() const {
    return state_ == State::AwaitingThirdLeg || state_ == State::AwaitingAlterContextResp ||
           state_ == State::Established;
  }
  uint8_t authType() const { return authType_; }
  /// The bind's auth_level (5 packet integrity, 6 packet privacy).
  uint8_t authLevel() const { return authLevel_; }
  uint32_t authContextId() const { return authContextId_; }
  const ContextKeys& keys() const { return keys_; }
  const OpenedApReq& apReq() const { return apReq_; }
  /// The sequence number the next PDU received from `dir` must carry.
  uint64_t nextReceived(Direction dir) const { return numbers(dir).received; }
  /// The sequence number the next PDU this box seals on behalf of `dir` carries.
  uint64_t nextSent(Direction dir) const { return numbers(dir).sent; }
  /// RFC 4121 token flags a CFX token of `dir` carries in this context.
  uint8_t cfxFlags(Direction dir) const;

 private:
  ParseResult failWith(std::string why);
  Numbers& numbers(Direction dir) {
    return dir == Direction::FromInitiator ? initiator_ : acceptor_;
  }
  const Numbers& numbers(Direction dir) const {
    return dir == Direction::FromInitiator ? initiator_ : acceptor_;
  }
  /// A SPNEGO mechListMIC of `dir` during the bind: one number, received and sent alike.
  void countBindMic(Direction dir);
  ParseResult onBind(ByteSpan authValue, bool headerSign);
  ParseResult onBindAck(ByteSpan authValue, bool headerSign);
  ParseResult onThirdLeg(ByteSpan authValue);
  ParseResult onAlterContextResp(ByteSpan authValue);

  const Krb5Crypto& crypto_;
  std::vector<encryption_service::ServiceKey> serviceKeys_;
  State state_ = State::AwaitingBind;
  std::string why_;
  uint8_t authType_ = 0;
  uint8_t authLevel_ = 0;
  uint32_t authContextId_ = 0;
  bool bindHeaderSign_ = false;
  OpenedApReq apReq_;
  ContextKeys keys_;
  Numbers initiator_;
  Numbers acceptor_;
};

}  // namespace bh::secure::emapi
