#include "secure/sealed_rpc/sealed_association.h"

#include <algorithm>
#include <utility>

#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/dcerpc/well_known.h"

namespace bh::secure::sealed_rpc {

namespace dce = mapi::dcerpc;

namespace {

/// request and response PDUs without an object UUID: 16-byte header + 8 (C706 12.6.4.9/10).
constexpr size_t kCallHeaderSize = dce::kHeaderSize + 8;
/// Sealed stubs are padded to 16 bytes (MS-RPCE 2.2.2.11: the pad aligns the stub for the
/// cipher; Samba's DCERPC_AUTH_PAD_ALIGNMENT, and Windows, use 16 whatever the enctype).
constexpr size_t kSealPadAlignment = 16;
/// rpc_auth_3 carries 4 octets before its sec_trailer (MS-RPCE 2.2.2.10).
constexpr size_t kAuth3PadSize = 4;

dce::AuthVerifier verifier(const ClientSecurity& security, uint32_t authContextId, size_t pad,
                           Bytes credentials) {
  dce::AuthVerifier v;
  v.pad.assign(pad, 0);
  v.trailer.authType = security.authType();
  v.trailer.authLevel = security.authLevel();
  v.trailer.authContextId = authContextId;
  v.credentials = std::move(credentials);
  return v;
}

}  // namespace

SealedClientAssociation::SealedClientAssociation(ClientSecurity& security, AssociationConfig config)
    : security_(security), config_(std::move(config)), nextCallId_(config_.firstCallId) {}

ParseResult SealedClientAssociation::fail(AssociationFailure failure, std::string detail,
                                          uint32_t status) {
  state_ = State::Failed;
  error_.failure = failure;
  error_.status = status;
  error_.detail = std::move(detail);
  response_.clear();
  response_.shrink_to_fit();
  responseComplete_ = false;
  return ParseResult::fail(error_.describe());
}

bool SealedClientAssociation::failBool(AssociationFailure failure, std::string detail,
                                       uint32_t status) {
  (void)fail(failure, std::move(detail), status);
  return false;
}

dce::Pdu SealedClientAssociation::bindPdu(dce::PType ptype, uint32_t assocGroupId) const {
  dce::Pdu pdu;
  pdu.header.ptype = ptype;
  pdu.header.pfcFlags = dce::pfc::FirstFrag | dce::pfc::LastFrag;
  if (ptype == dce::PType::Bind) {
    // MS-RPCE 2.2.2.3 / 3.3.1.5.2.2: offer header signing; the server echoes it if it agrees
    // (the alter_context of SPNEGO's third leg does not repeat it, as Samba's).
    pdu.header.pfcFlags |= dce::pfc::SupportHeaderSign;
  }
  pdu.header.callId = callId_;
  dce::Bind b;
  b.maxXmitFrag = config_.maxXmitFrag;
  b.maxRecvFrag = config_.maxRecvFrag;
  b.assocGroupId = assocGroupId;
  dce::ContextElement e;
  e.contextId = config_.contextId;
  e.abstractSyntax = config_.interface;
  e.transferSyntaxes.push_back(dce::syntax::ndr());
  b.contexts.push_back(std::move(e));
  pdu.body = std::move(b);
  return pdu;
}

bool SealedClientAssociation::bind(Bytes& out) {
  if (state_ != State::Idle) {
    return failBool(AssociationFailure::BadState, "bind() called twice");
  }
  Bytes apReq;
  if (!security_.initialToken(apReq)) {
    return failBool(AssociationFailure::Security, security_.lastError());
  }
  callId_ = nextCallId_++;
  dce::Pdu pdu = bindPdu(dce::PType::Bind, config_.assocGroupId);
  auto plain = dce::encodePdu(pdu);
  if (!plain) {
    return failBool(AssociationFailure::TooLarge, "the bind does not encode");
  }
  // The sec_trailer is 4-aligned (C706 13.2.6.1).
  pdu.auth =
      verifier(security_, config_.authContextId, dce::authPadFor(plain->size()), std::move(apReq));
  auto encoded = dce::encodePdu(pdu);
  if (!encoded) {
    return failBool(AssociationFailure::TooLarge, "the AP-REQ does not fit a bind PDU");
  }
  out = std::move(*encoded);
  state_ = State::BindSent;
  return true;
}

ParseResult SealedClientAssociation::frame(ByteSpan data, size_t maxFrag, dce::Pdu& pdu) {
  dce::FrameLimits limits;
  limits.maxFragLength = maxFrag;
  ParseResult r = dce::decodePdu(data, pdu, limits);
  if (r.status == ParseStatus::Error) {
    return fail(AssociationFailure::Malformed, r.error);
  }
  return r;
}

bool SealedClientAssociation::checkTrailer(const dce::AuthVerifier& auth) {
  const dce::SecTrailer& t = auth.trailer;
  if (t.authType != security_.authType() || t.authLevel != security_.authLevel() ||
      t.authContextId != config_.authContextId) {
    (void)fail(AssociationFailure::AuthMismatch,
               "sec_trailer auth_type " + std::to_string(static_cast<int>(t.authType)) + " level " +
                   std::to_string(static_cast<int>(t.authLevel)) + " context " +
                   std::to_string(t.authContextId) + ", expected " +
                   std::to_string(static_cast<int>(security_.authType())) + " level " +
                   std::to_string(static_cast<int>(security_.authLevel())) + " context " +
                   std::to_string(config_.authContextId));
    return false;
  }
  return true;
}

ParseResult SealedClientAssociation::onFault(const dce::Pdu& pdu) {
  const dce::Fault* f = pdu.fault();
  return fail(AssociationFailure::Fault,
              std::string("the server answered ") +
                  (state_ == State::BindSent ? "the bind" : "the call") + " with a fault",
              f != nullptr ? f->status : 0);
}

ParseResult SealedClientAssociation::checkAck(const dce::Pdu& pdu, const dce::BindAck& ack) {
  if (ack.results.size() != 1) {
    return fail(AssociationFailure::Malformed, "bind_ack has " +
                                                   std::to_string(ack.results.size()) +
                                                   " context results for the bind's one context");
  }
  const dce::ContextResult& result = ack.results[0];
  if (result.result != static_cast<uint16_t>(dce::ContextResultCode::Acceptance)) {
    return fail(AssociationFailure::ContextRejected,
                "the server refused " + config_.interface.toString() + " (result " +
                    std::to_string(result.result) + ")",
                result.reason);
  }
  if (result.transferSyntax != dce::syntax::ndr()) {
    return fail(AssociationFailure::ContextRejected, "the server accepted transfer syntax " +
                                                         result.transferSyntax.toString() +
                                                         ", not NDR 2.0");
  }
  if (!pdu.auth) {
    return fail(AssociationFailure::AuthMismatch,
                std::string(dce::ptypeName(pdu.ptype())) + " carries no auth verifier");
  }
  if (!checkTrailer(*pdu.auth)) {
    return ParseResult::fail(error_.describe());
  }
  return ParseResult::done(0);
}

ParseResult SealedClientAssociation::onBindAck(ByteSpan data, Bytes& auth3) {
  if (state_ != State::BindSent) {
    return fail(AssociationFailure::BadState, "no bind awaits a bind_ack");
  }
  dce::Pdu pdu;
  ParseResult r = frame(data, 65535, pdu);
  if (!r.ok()) {
    return r;
  }
  if (pdu.header.callId != callId_) {
    return fail(AssociationFailure::Unexpected, std::string(dce::ptypeName(pdu.ptype())) +
                                                    " for call_id " +
                                                    std::to_string(pdu.header.callId) +
                                                    ", the bind's is " + std::to_string(callId_));
  }
  switch (pdu.ptype()) {
    case dce::PType::BindNak:
      return fail(AssociationFailure::BindNak, "the server refused the bind",
                  pdu.bindNak()->providerRejectReason);
    case dce::PType::Fault:
      return onFault(pdu);
    case dce::PType::BindAck:
      break;
    default:
      return fail(AssociationFailure::Unexpected,
                  std::string(dce::ptypeName(pdu.ptype())) + " instead of bind_ack");
  }
  const dce::BindAck& ack = *pdu.bindAck();
  if (ParseResult c = checkAck(pdu, ack); !c.ok()) {
    return c;
  }
  Bytes clientApRep;
  if (!security_.acceptReply(pdu.auth->credentials, clientApRep)) {
    return fail(AssociationFailure::Security, security_.lastError());
  }
  // C706 12.6.4.4: the server's max_recv_frag bounds what we send. We read what we offered,
  // or what the server announced it sends if that is more: Samba never announces (nor sends)
  // less than 2048 whatever the bind offered (secure/kerberos/README.md).
  xmitFrag_ = std::min(config_.maxXmitFrag, ack.maxRecvFrag);
  recvFrag_ = std::max(config_.maxRecvFrag, ack.maxXmitFrag);
  headerSigning_ = pdu.header.has(dce::pfc::SupportHeaderSign);
  assocGroupId_ = ack.assocGroupId;

  if (security_.fourLegs()) {
    // MS-RPCE 3.3.1.5.2.1: SPNEGO's third leg goes in an alter_context for the same context
    // (same call_id, as Samba's), answered by alter_context_resp with the fourth.
    dce::Pdu alter = bindPdu(dce::PType::AlterContext, assocGroupId_);
    auto plain = dce::encodePdu(alter);
    if (!plain) {
      return fail(AssociationFailure::TooLarge, "the alter_context does not encode");
    }
    alter.auth = verifier(security_, config_.authContextId, dce::authPadFor(plain->size()),
                          std::move(clientApRep));
    auto encoded = dce::encodePdu(alter);
    if (!encoded) {
      return fail(AssociationFailure::TooLarge, "the client's NegTokenResp does not fit");
    }
    auth3 = std::move(*encoded);
    state_ = State::AlterContextSent;
    return r;
  }
  // MS-KILE 3.4.5.1: the third leg, rpc_auth_3 with the client's AP-REP (MS-RPCE 2.2.2.10).
  dce::Pdu a3;
  a3.header.ptype = dce::PType::Auth3;
  a3.header.pfcFlags = dce::pfc::FirstFrag | dce::pfc::LastFrag;
  a3.header.callId = callId_;
  a3.body = dce::Auth3{Bytes(kAuth3PadSize, 0)};
  a3.auth = verifier(security_, config_.authContextId,
                     dce::authPadFor(dce::kHeaderSize + kAuth3PadSize), std::move(clientApRep));
  auto encoded = dce::encodePdu(a3);
  if (!encoded) {
    return fail(AssociationFailure::TooLarge, "the client's AP-REP does not fit rpc_auth_3");
  }
  auth3 = std::move(*encoded);
  return finishBind(r);
}

ParseResult SealedClientAssociation::onAlterContextResp(ByteSpan data) {
  if (state_ != State::AlterContextSent) {
    return fail(AssociationFailure::BadState, "no alter_context awaits its answer");
  }
  dce::Pdu pdu;
  ParseResult r = frame(data, 65535, pdu);
  if (!r.ok()) {
    return r;
  }
  if (pdu.header.callId != callId_) {
    return fail(AssociationFailure::Unexpected,
                std::string(dce::ptypeName(pdu.ptype())) + " for call_id " +
                    std::to_string(pdu.header.callId) + ", the alter_context's is " +
                    std::to_string(callId_));
  }
  if (pdu.ptype() == dce::PType::Fault) {
    return onFault(pdu);
  }
  if (pdu.ptype() != dce::PType::AlterContextResp) {
    return fail(AssociationFailure::Unexpected,
                std::string(dce::ptypeName(pdu.ptype())) + " instead of alter_context_resp");
  }
  if (ParseResult c = checkAck(pdu, *pdu.bindAck()); !c.ok()) {
    return c;
  }
  if (!security_.acceptFinal(pdu.auth->credentials)) {
    return fail(AssociationFailure::Security, security_.lastError());
  }
  return finishBind(r);
}

ParseResult SealedClientAssociation::finishBind(ParseResult r) {
  tokenSize_ = security_.sealedTokenSize();
  if (tokenSize_ == 0 || tokenSize_ > 0xffff) {
    return fail(AssociationFailure::Security, "no sealed token size: " + security_.lastError());
  }
  const size_t overhead = kCallHeaderSize + dce::kSecTrailerSize + tokenSize_;
  if (xmitFrag_ < overhead + kSealPadAlignment) {
    return fail(AssociationFailure::Malformed,
                "max_recv_frag " + std::to_string(xmitFrag_) + " leaves no room for a sealed stub");
  }
  fragmentPayload_ = (xmitFrag_ - overhead) / kSealPadAlignment * kSealPadAlignment;
  state_ = State::Ready;
  return r;
}

bool SealedClientAssociation::request(uint16_t opnum, ByteSpan stub,
                                      std::vector<Bytes>& fragments) {
  if (state_ != State::Ready) {
    return failBool(AssociationFailure::BadState, "request() while not bound and idle");
  }
  if (stub.size() > config_.maxRequestStub) {
    return failBool(AssociationFailure::TooLarge, "request stub of " + std::to_string(stub.size()) +
                                                      " bytes over the cap of " +
                                                      std::to_string(config_.maxRequestStub));
  }
  callId_ = nextCallId_++;
  fragments.clear();
  size_t offset = 0;
  do {
    const size_t chunk = std::min(fragmentPayload_, stub.size() - offset);
    const size_t pad = (kSealPadAlignment - chunk % kSealPadAlignment) % kSealPadAlignment;
    dce::Pdu pdu;
    pdu.header.ptype = dce::PType::Request;
    pdu.header.callId = callId_;
    pdu.header.pfcFlags = 0;
    if (offset == 0) {
      pdu.header.pfcFlags |= dce::pfc::FirstFrag;
    }
    if (offset + chunk == stub.size()) {
      pdu.header.pfcFlags |= dce::pfc::LastFrag;
    }
    dce::Request q;
    q.allocHint = static_cast<uint32_t>(stub.size() - offset);  // C706 12.6.4.9: what remains
    q.contextId = config_.contextId;
    q.opnum = opnum;
    q.stub.assign(stub.begin() + static_cast<ptrdiff_t>(offset),
                  stub.begin() + static_cast<ptrdiff_t>(offset + chunk));
    pdu.body = std::move(q);
    pdu.auth = verifier(security_, config_.authContextId, pad, Bytes(tokenSize_, 0));
    auto encoded = dce::encodePdu(pdu);
    if (!encoded || encoded->size() > xmitFrag_) {
      return failBool(AssociationFailure::TooLarge, "a request fragment does not fit");
    }
    Bytes& b = *encoded;
    // The frag_length and auth_length the encoder wrote are part of what is signed.
    const size_t dataEnd = kCallHeaderSize + chunk + pad;
    std::span<uint8_t> all(b);
    ByteSpan pre = headerSigning_ ? ByteSpan(b).first(kCallHeaderSize) : ByteSpan();
    ByteSpan post =
        headerSigning_ ? ByteSpan(b).subspan(dataEnd, dce::kSecTrailerSize) : ByteSpan();
    if (!security_.seal(pre, all.subspan(kCallHeaderSize, chunk + pad), post,
                        all.subspan(dataEnd + dce::kSecTrailerSize))) {
      return failBool(AssociationFailure::Security, security_.lastError());
    }
    fragments.push_back(std::move(b));
    offset += chunk;
  } while (offset < stub.size());
  response_.clear();
  responseFragments_ = 0;
  responseComplete_ = false;
  state_ = State::AwaitingResponse;
  return true;
}

ParseResult SealedClientAssociation::onResponse(ByteSpan data) {
  if (state_ != State::AwaitingResponse || responseComplete_) {
    return fail(AssociationFailure::BadState, "no call awaits a response");
  }
  dce::Pdu pdu;
  ParseResult r = frame(data, recvFrag_, pdu);
  if (!r.ok()) {
    return r;
  }
  if (pdu.header.callId != callId_) {
    return fail(AssociationFailure::Unexpected, std::string(dce::ptypeName(pdu.ptype())) +
                                                    " for call_id " +
                                                    std::to_string(pdu.header.callId) +
                                                    ", the call's is " + std::to_string(callId_));
  }
  if (pdu.ptype() == dce::PType::Fault) {
    return onFault(pdu);
  }
  if (pdu.ptype() != dce::PType::Response) {
    return fail(AssociationFailure::Unexpected,
                std::string(dce::ptypeName(pdu.ptype())) + " instead of a response");
  }
  const dce::Response& resp = *pdu.response();
  const bool first = responseFragments_ == 0;
  if (first != pdu.header.has(dce::pfc::FirstFrag)) {
    return fail(AssociationFailure::Malformed,
                first ? "the call's first response fragment lacks PFC_FIRST_FRAG"
                      : "PFC_FIRST_FRAG in the middle of a response");
  }
  if (++responseFragments_ > config_.maxResponseFragments) {
    return fail(
        AssociationFailure::TooLarge,
        "more than " + std::to_string(config_.maxResponseFragments) + " response fragments");
  }
  // alloc_hint announces the whole stub (C706 12.6.4.10): refuse before holding any of it.
  if (first && resp.allocHint > config_.maxResponseStub) {
    return fail(AssociationFailure::TooLarge, "response of " + std::to_string(resp.allocHint) +
                                                  " bytes over the cap of " +
                                                  std::to_string(config_.maxResponseStub));
  }
  if (resp.contextId != config_.contextId) {
    return fail(AssociationFailure::Unexpected,
                "response for context " + std::to_string(resp.contextId));
  }
  if (!pdu.auth) {
    return fail(AssociationFailure::AuthMismatch, "a response without its auth verifier");
  }
  if (!checkTrailer(*pdu.auth)) {
    return ParseResult::fail(error_.describe());
  }
  const size_t pad = pdu.auth->trailer.authPadLength;
  const size_t sealedLength = resp.stub.size() + pad;
  if (response_.size() + resp.stub.size() > config_.maxResponseStub) {
    return fail(AssociationFailure::TooLarge,
                "response over the cap of " + std::to_string(config_.maxResponseStub) + " bytes");
  }
  // Unseal a copy of the fragment: the header and sec_trailer are signed as received.
  Bytes frag(data.begin(), data.begin() + pdu.header.fragLength);
  const size_t dataEnd = kCallHeaderSize + sealedLength;
  std::span<uint8_t> all(frag);
  ByteSpan pre = headerSigning_ ? ByteSpan(frag).first(kCallHeaderSize) : ByteSpan();
  ByteSpan post =
      headerSigning_ ? ByteSpan(frag).subspan(dataEnd, dce::kSecTrailerSize) : ByteSpan();
  ByteSpan token = ByteSpan(frag).subspan(dataEnd + dce::kSecTrailerSize);
  std::span<uint8_t> sealed = all.subspan(kCallHeaderSize, sealedLength);
  if (!security_.unseal(pre, sealed, post, token)) {
    return fail(
        AssociationFailure::VerifyFailed,
        "response fragment " + std::to_string(responseFragments_) + ": " + security_.lastError());
  }
  response_.insert(response_.end(), sealed.begin(), sealed.end() - static_cast<ptrdiff_t>(pad));
  if (pdu.header.has(dce::pfc::LastFrag)) {
    responseComplete_ = true;
  }
  return r;
}

Bytes SealedClientAssociation::takeResponse() {
  if (!responseComplete_) {
    return {};
  }
  Bytes out = std::move(response_);
  response_.clear();
  responseComplete_ = false;
  state_ = State::Ready;
  return out;
}

}  // namespace bh::secure::sealed_rpc
