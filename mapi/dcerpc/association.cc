#include "mapi/dcerpc/association.h"

#include "mapi/dcerpc/well_known.h"

namespace bh::mapi::dcerpc {

ParseResult Association::onClientPdu(const Pdu& pdu) {
  if (const Bind* b = pdu.bind()) {
    return propose(pdu, *b);
  }
  return ParseResult::done(0);
}

ParseResult Association::onServerPdu(const Pdu& pdu) {
  if (const BindAck* a = pdu.bindAck()) {
    return answer(pdu, *a);
  }
  if (pdu.bindNak() != nullptr) {
    // bind_nak refuses the whole proposal (C706 12.6.4.5).
    for (uint16_t id : proposed_) {
      contexts_[id].state = ContextState::Rejected;
    }
    proposed_.clear();
    proposalCallId_.reset();
    if (!established_) {
      rejected_ = true;
    }
  }
  return ParseResult::done(0);
}

ParseResult Association::propose(const Pdu& pdu, const Bind& bind) {
  if (pdu.ptype() == PType::Bind) {
    maxXmitFrag_ = bind.maxXmitFrag;
    maxRecvFrag_ = bind.maxRecvFrag;
    assocGroupId_ = bind.assocGroupId;  // nonzero: joining an existing group (MS-RPCE 3.3.1.5.6)
  }
  if (pdu.auth) {
    authType_ = pdu.auth->trailer.authType;
    authLevel_ = pdu.auth->trailer.authLevel;
    authContextId_ = pdu.auth->trailer.authContextId;
  }
  proposed_.clear();
  for (const ContextElement& e : bind.contexts) {
    if (contexts_.find(e.contextId) == contexts_.end() && contexts_.size() >= limits_.maxContexts) {
      return ParseResult::fail("too many presentation contexts");
    }
    PresentationContext& c = contexts_[e.contextId];
    c = PresentationContext{};
    c.contextId = e.contextId;
    c.abstractSyntax = e.abstractSyntax;
    c.proposedTransferSyntaxes = e.transferSyntaxes;
    proposed_.push_back(e.contextId);
  }
  proposalCallId_ = pdu.header.callId;
  return ParseResult::done(0);
}

ParseResult Association::answer(const Pdu& pdu, const BindAck& ack) {
  if (!proposalCallId_ || *proposalCallId_ != pdu.header.callId) {
    return ParseResult::fail("bind_ack without an outstanding bind of its call_id");
  }
  if (ack.results.size() != proposed_.size()) {
    return ParseResult::fail("bind_ack result count differs from the proposed contexts");
  }
  for (size_t i = 0; i < proposed_.size(); ++i) {
    PresentationContext& c = contexts_[proposed_[i]];
    const ContextResult& r = ack.results[i];
    c.result = r.result;
    c.reason = r.reason;
    switch (static_cast<ContextResultCode>(r.result)) {
      case ContextResultCode::Acceptance:
        c.state = ContextState::Accepted;
        c.transferSyntax = r.transferSyntax;
        break;
      case ContextResultCode::NegotiateAck:
        c.state = ContextState::NegotiateAck;
        break;
      default:
        c.state = ContextState::Rejected;
        break;
    }
  }
  if (pdu.ptype() == PType::BindAck) {
    established_ = true;
    rejected_ = false;
    maxXmitFrag_ = ack.maxXmitFrag;
    maxRecvFrag_ = ack.maxRecvFrag;
    assocGroupId_ = ack.assocGroupId;
    secondaryAddress_ = ack.port();
  }
  proposed_.clear();
  proposalCallId_.reset();
  return ParseResult::done(0);
}

const PresentationContext* Association::context(uint16_t contextId) const {
  auto it = contexts_.find(contextId);
  return it == contexts_.end() ? nullptr : &it->second;
}

std::optional<SyntaxId> Association::interfaceFor(uint16_t contextId) const {
  const PresentationContext* c = context(contextId);
  if (c == nullptr || c->state != ContextState::Accepted) {
    return std::nullopt;
  }
  return c->abstractSyntax;
}

std::optional<SyntaxId> Association::transferSyntaxFor(uint16_t contextId) const {
  const PresentationContext* c = context(contextId);
  if (c == nullptr || c->state != ContextState::Accepted) {
    return std::nullopt;
  }
  return c->transferSyntax;
}

}  // namespace bh::mapi::dcerpc
