#include "secure/emapi/kerberos_dce_session.h"

#include "secure/emapi/dce_auth_token.h"

namespace bh::secure::emapi {

namespace {

constexpr uint8_t kBind = 11;
constexpr uint8_t kBindAck = 12;
constexpr uint8_t kBindNak = 13;
constexpr uint8_t kAlterContext = 14;
constexpr uint8_t kAlterContextResp = 15;
constexpr uint8_t kAuth3 = 16;
constexpr uint8_t kSupportHeaderSign = 0x04;  // MS-RPCE 2.2.2.3

struct BindLeg {
  uint8_t ptype = 0;
  uint8_t flags = 0;
  uint8_t authType = 0;
  uint8_t authLevel = 0;
  uint32_t authContextId = 0;
  ByteSpan authValue;
};

ParseResult readLeg(ByteSpan pdu, BindLeg& out) {
  if (pdu.size() < 16) {
    return ParseResult::fail("PDU shorter than its header");
  }
  ByteReader r(pdu, (pdu[4] & 0x10) != 0 ? Endian::Little : Endian::Big);
  r.skip(2);
  out.ptype = r.u8();
  out.flags = r.u8();
  r.skip(4);
  const size_t fragLen = r.u16();
  const size_t authLen = r.u16();
  if (fragLen != pdu.size() || authLen == 0 || fragLen < 16 + 8 + authLen) {
    return ParseResult::fail("bind-family PDU without a Kerberos auth trailer");
  }
  ByteReader t(pdu.subspan(fragLen - authLen - 8, 8), r.endian());
  out.authType = t.u8();
  out.authLevel = t.u8();
  t.skip(2);
  out.authContextId = t.u32();
  out.authValue = pdu.subspan(fragLen - authLen);
  return ParseResult::done(fragLen);
}

}  // namespace

KerberosDceSession::KerberosDceSession(const Krb5Crypto& crypto,
                                       std::vector<encryption_service::ServiceKey> keys)
    : crypto_(crypto), serviceKeys_(std::move(keys)) {}

KerberosDceSession::KerberosDceSession(const Krb5Crypto& crypto, const Context& ctx)
    : crypto_(crypto),
      state_(ctx.state),
      authType_(ctx.authType),
      authLevel_(ctx.authLevel),
      authContextId_(ctx.authContextId),
      bindHeaderSign_(ctx.keys.headerSigning),
      keys_(ctx.keys),
      initiator_(ctx.initiator),
      acceptor_(ctx.acceptor) {}

KerberosDceSession::Context KerberosDceSession::context() const {
  Context c;
  c.state = state_;
  c.authType = authType_;
  c.authLevel = authLevel_;
  c.authContextId = authContextId_;
  c.keys = keys_;
  c.initiator = initiator_;
  c.acceptor = acceptor_;
  return c;
}

void KerberosDceSession::countBindMic(Direction dir) {
  Numbers& n = numbers(dir);
  ++n.received;
  ++n.sent;
}

KerberosDceSession::~KerberosDceSession() {
  for (auto& k : serviceKeys_) {
    encryption_service::wipe(k.value);
  }
}

ParseResult KerberosDceSession::failWith(std::string why) {
  state_ = State::Failed;
  why_ = why;
  return ParseResult::fail(std::move(why));
}

uint8_t KerberosDceSession::cfxFlags(Direction dir) const {
  uint8_t f = cfx::kSealed;
  if (dir == Direction::FromAcceptor) {
    f |= cfx::kSentByAcceptor;
  }
  if (keys_.acceptorSubkey) {
    f |= cfx::kAcceptorSubkey;
  }
  return f;
}

ParseResult KerberosDceSession::observeBindLeg(Direction dir, ByteSpan pdu) {
  if (state_ == State::Failed) {
    return ParseResult::fail(why_);
  }
  // bind_nak (C706 12.6.4.5) ends the bind whatever it carries.
  if (pdu.size() > 2 && pdu[2] == kBindNak) {
    return failWith("bind_nak");
  }
  BindLeg leg;
  ParseResult r = readLeg(pdu, leg);
  if (!r.ok()) {
    return failWith(r.error);
  }
  const bool fromInitiator = dir == Direction::FromInitiator;
  if (state_ != State::AwaitingBind && (leg.authType != authType_ || leg.authLevel != authLevel_ ||
                                        leg.authContextId != authContextId_)) {
    return failWith("auth_type, auth_level or auth_context_id changed during the bind");
  }
  switch (state_) {
    case State::AwaitingBind:
      if (leg.ptype != kBind || !fromInitiator) {
        return failWith("expected a bind from the client");
      }
      authType_ = leg.authType;
      authLevel_ = leg.authLevel;
      authContextId_ = leg.authContextId;
      r = onBind(leg.authValue, (leg.flags & kSupportHeaderSign) != 0);
      break;
    case State::AwaitingBindAck:
      if (leg.ptype != kBindAck || fromInitiator) {
        return failWith("expected a bind_ack from the server");
      }
      r = onBindAck(leg.authValue, (leg.flags & kSupportHeaderSign) != 0);
      break;
    case State::AwaitingThirdLeg:
      if (!fromInitiator || (leg.ptype != (authType_ == 16 ? kAuth3 : kAlterContext))) {
        return failWith(authType_ == 16 ? "expected rpc_auth_3 from the client"
                                        : "expected alter_context from the client");
      }
      r = onThirdLeg(leg.authValue);
      break;
    case State::AwaitingAlterContextResp:
      if (fromInitiator || leg.ptype != kAlterContextResp) {
        return failWith("expected alter_context_resp from the server");
      }
      r = onAlterContextResp(leg.authValue);
      break;
    case State::Established:
      return failWith(
          "a bind-family PDU after the context was established (re-keying is not read)");
    case State::Failed:
      break;
  }
  if (!r.ok() && state_ != State::Failed) {
    return failWith(r.error);
  }
  return r.ok() ? ParseResult::done(pdu.size()) : r;
}

ParseResult KerberosDceSession::onBind(ByteSpan authValue, bool headerSign) {
  DceAuthToken tok;
  ParseResult r = readDceAuthToken(authType_, authValue, tok);
  if (!r.ok()) {
    return r;
  }
  if (tok.kind != KrbToken::ApReq) {
    return ParseResult::fail("the bind carries no Kerberos AP-REQ");
  }
  r = openApReq(crypto_, tok.message, serviceKeys_, apReq_);
  if (r.status == ParseStatus::NeedMore) {
    return ParseResult::fail("AP-REQ cut short");
  }
  if (!r.ok()) {
    return r;
  }
  if (!apReq_.initiatorSeq) {
    return ParseResult::fail("the authenticator carries no sequence number");
  }
  keys_.sessionKey = apReq_.sessionKey;
  keys_.initiatorSubkey = apReq_.initiatorSubkey;
  initiator_.received = initiator_.sent = *apReq_.initiatorSeq;
  bindHeaderSign_ = headerSign;
  if (tok.mechListMic) {
    countBindMic(Direction::FromInitiator);
  }
  state_ = State::AwaitingBindAck;
  return ParseResult::done(authValue.size());
}

ParseResult KerberosDceSession::onBindAck(ByteSpan authValue, bool headerSign) {
  DceAuthToken tok;
  ParseResult r = readDceAuthToken(authType_, authValue, tok);
  if (!r.ok()) {
    return r;
  }
  if (tok.kind != KrbToken::ApRep) {
    return ParseResult::fail("the bind_ack carries no Kerberos AP-REP");
  }
  OpenedApRep rep;
  r = openApRep(crypto_, tok.message, keys_.sessionKey, rep);
  if (!r.ok()) {
    return ParseResult::fail(r.status == ParseStatus::NeedMore ? "AP-REP cut short" : r.error);
  }
  // RFC 4120 3.2.5: the acceptor's AP-REP echoes the authenticator's ctime and cusec.
  if (rep.ctime != apReq_.ctime || rep.cusec != apReq_.cusec) {
    return ParseResult::fail("the AP-REP does not answer this AP-REQ (ctime/cusec differ)");
  }
  if (!rep.seq) {
    return ParseResult::fail("the AP-REP carries no sequence number");
  }
  keys_.acceptorSubkey = std::move(rep.subkey);
  acceptor_.received = acceptor_.sent = *rep.seq;
  keys_.headerSigning = bindHeaderSign_ && headerSign;
  if (tok.mechListMic) {
    countBindMic(Direction::FromAcceptor);
  }
  state_ = State::AwaitingThirdLeg;
  return ParseResult::done(authValue.size());
}

ParseResult KerberosDceSession::onThirdLeg(ByteSpan authValue) {
  DceAuthToken tok;
  ParseResult r = readDceAuthToken(authType_, authValue, tok);
  if (!r.ok()) {
    return r;
  }
  if (tok.kind != KrbToken::ApRep) {
    return ParseResult::fail("the third leg carries no Kerberos AP-REP");
  }
  // MS-KILE 3.4.5.1 (DCE style): the client answers with an AP-REP of its own, in the session
  // key, echoing the acceptor's sequence number.
  OpenedApRep rep;
  r = openApRep(crypto_, tok.message, keys_.sessionKey, rep);
  if (!r.ok()) {
    return ParseResult::fail(r.status == ParseStatus::NeedMore ? "third-leg AP-REP cut short"
                                                               : "third leg: " + r.error);
  }
  if (rep.seq && *rep.seq != static_cast<uint32_t>(acceptor_.received)) {
    return ParseResult::fail("third-leg AP-REP does not echo the acceptor's sequence number");
  }
  if (tok.mechListMic) {
    countBindMic(Direction::FromInitiator);
  }
  state_ = authType_ == 9 ? State::AwaitingAlterContextResp : State::Established;
  return ParseResult::done(authValue.size());
}

ParseResult KerberosDceSession::onAlterContextResp(ByteSpan authValue) {
  DceAuthToken tok;
  ParseResult r = readDceAuthToken(authType_, authValue, tok);
  if (!r.ok()) {
    return r;
  }
  if (tok.negState && *tok.negState != 0) {
    return ParseResult::fail("SPNEGO did not complete (negState " + std::to_string(*tok.negState) +
                             ")");
  }
  if (tok.mechListMic) {
    countBindMic(Direction::FromAcceptor);
  }
  state_ = State::Established;
  return ParseResult::done(authValue.size());
}

ParseResult KerberosDceSession::unwrap(Direction dir, ByteSpan pdu, Bytes& plainStub,
                                       Unwrapped& info) {
  // Nothing below changes the session unless the PDU opens with the number due: the caller
  // decides what a refused PDU means (issue 18: relayed as sent, or the connection stops).
  if (state_ != State::Established) {
    return ParseResult::fail(
        state_ == State::Failed ? why_ : "a request/response before the context was established");
  }
  PduLayout l;
  ParseResult r = locatePdu(pdu, l);
  if (!r.ok()) {
    return r;
  }
  // MS-RPCE 3.3.1.5.2: the security context is the bind's (auth_type, level, context id).
  const ByteSpan trailer = pdu.subspan(l.trailerAt, 8);
  ByteReader t(trailer.subspan(4), (pdu[4] & 0x10) != 0 ? Endian::Little : Endian::Big);
  if (l.authType != authType_ || l.authLevel != authLevel_ || t.u32() != authContextId_) {
    return ParseResult::fail("sec_trailer is not the bind's (auth_type, auth_level, context id)");
  }
  Bytes plain;
  Unwrapped opened;
  r = unwrapPdu(crypto_, keys_, dir, pdu, plain, opened);
  if (!r.ok()) {
    return r;
  }
  Numbers& next = numbers(dir);
  // RFC 4757 numbers are 32 bits; CFX's 64 (RFC 4121 4.2.6.2).
  const bool rc4 = opened.kind == WrapKind::ArcfourWrap || opened.kind == WrapKind::ArcfourMic;
  const uint64_t want = rc4 ? next.received & 0xffffffffu : next.received;
  if (opened.seq != want) {
    return ParseResult::fail("sequence number " + std::to_string(opened.seq) + " where " +
                             std::to_string(want) + " was due");
  }
  ++next.received;
  info = std::move(opened);
  plainStub.assign(plain.begin() + static_cast<ptrdiff_t>(l.stubAt),
                   plain.begin() + static_cast<ptrdiff_t>(l.stubAt + l.stubLen - l.padLen));
  return ParseResult::done(pdu.size());
}

bool KerberosDceSession::sealNext(Direction dir, WrapKind kind, ByteSpan confounder, Bytes& pdu) {
  if (state_ != State::Established) {
    return false;
  }
  Unwrapped how;
  how.kind = kind;
  how.seq = numbers(dir).sent;
  how.flags = cfxFlags(dir);
  if (kind == WrapKind::CfxMic) {
    how.flags = static_cast<uint8_t>(how.flags & ~cfx::kSealed);
  }
  how.ec = 16;
  how.confounder.assign(confounder.begin(), confounder.end());
  if (!sealPdu(crypto_, keys_, dir, how, pdu)) {
    return false;
  }
  ++numbers(dir).sent;
  return true;
}

}  // namespace bh::secure::emapi
