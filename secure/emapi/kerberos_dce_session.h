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

  KerberosDceSession(const Krb5Crypto& crypto, std::vector<encryption_service::ServiceKey> keys);
  ~KerberosDceSession();
  KerberosDceSession(const KerberosDceSession&) = delete;
  KerberosDceSession& operator=(const KerberosDceSession&) = delete;

  /// One framed PDU of the association, in stream order per direction: bind-family PDUs drive
  /// the establishment; requests/responses are checked and counted (use unwrap() to open them).
  /// @return Done, or Error (the session is then Failed, with why()).
  ParseResult observeBindLeg(Direction dir, ByteSpan pdu);

  /// Opens a request/response PDU sent in `dir`: the token must carry the next sequence number
  /// of that direction. `plainStub` receives the stub without padding; `info` what sealing the
  /// same bytes again needs. Error leaves the session Failed.
  ParseResult unwrap(Direction dir, ByteSpan pdu, Bytes& plainStub, Unwrapped& info);

  /// Seals `pdu` in place (see sealPdu) as the next PDU of `dir`, with the token kind and flags
  /// this context uses and `confounder` (16 bytes AES, 8 RC4); advances that direction's number.
  bool sealNext(Direction dir, WrapKind kind, ByteSpan confounder, Bytes& pdu);

  State state() const { return state_; }
  const std::string& why() const { return why_; }
  bool established() const { return state_ == State::Established; }
  uint8_t authType() const { return authType_; }
  const ContextKeys& keys() const { return keys_; }
  const OpenedApReq& apReq() const { return apReq_; }
  /// The sequence number the next PDU of `dir` must carry.
  uint64_t nextSeq(Direction dir) const;
  /// RFC 4121 token flags a CFX token of `dir` carries in this context.
  uint8_t cfxFlags(Direction dir) const;

 private:
  ParseResult failWith(std::string why);
  ParseResult onBind(ByteSpan authValue, bool headerSign);
  ParseResult onBindAck(ByteSpan authValue, bool headerSign);
  ParseResult onThirdLeg(ByteSpan authValue);
  ParseResult onAlterContextResp(ByteSpan authValue);

  const Krb5Crypto& crypto_;
  std::vector<encryption_service::ServiceKey> serviceKeys_;
  State state_ = State::AwaitingBind;
  std::string why_;
  uint8_t authType_ = 0;
  uint32_t authContextId_ = 0;
  bool bindHeaderSign_ = false;
  OpenedApReq apReq_;
  ContextKeys keys_;
  uint64_t initiatorSeq_ = 0;
  uint64_t acceptorSeq_ = 0;
};

}  // namespace bh::secure::emapi
