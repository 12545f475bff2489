#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "common/parse_result.h"
#include "mapi/dcerpc/pdu.h"

namespace bh::mapi::dcerpc {

/// Where a presentation context stands (C706 12.6.3.1 p_cont_def_result_t).
enum class ContextState { Proposed, Accepted, Rejected, NegotiateAck };

/// One presentation context: the interface a context id names and the transfer syntax the
/// server picked (NDR 2.0 or NDR64 1.0 in practice).
struct PresentationContext {
  uint16_t contextId = 0;
  SyntaxId abstractSyntax;
  std::vector<SyntaxId> proposedTransferSyntaxes;
  ContextState state = ContextState::Proposed;
  SyntaxId transferSyntax;  ///< meaningful when Accepted
  uint16_t result = 0;
  uint16_t reason = 0;  ///< for NegotiateAck: the accepted feature bits (MS-RPCE 2.2.2.14)
};

struct AssociationLimits {
  /// Presentation contexts remembered per connection (bind and alter_context can add more).
  size_t maxContexts = 64;
};

/// Association state of one connection, built from both directions' PDUs: contexts negotiated
/// by bind/bind_ack and alter_context/alter_context_resp (C706 12.6.4.1-4), the association
/// group, the fragment sizes and the authentication proposed in the bind.
class Association {
 public:
  explicit Association(AssociationLimits limits = {}) : limits_(limits) {}

  /// A PDU sent by the client (bind, alter_context, request, ...).
  /// @return Done(0), or Error when a cap is exceeded (the flow should be passed through).
  ParseResult onClientPdu(const Pdu& pdu);
  /// A PDU sent by the server (bind_ack, bind_nak, alter_context_resp, ...).
  /// @return Done(0), or Error when the answer does not match the outstanding proposal.
  ParseResult onServerPdu(const Pdu& pdu);

  /// The context `contextId` names, whatever its state; nullptr if never proposed.
  const PresentationContext* context(uint16_t contextId) const;
  /// The interface a request's p_cont_id refers to, if that context was accepted.
  std::optional<SyntaxId> interfaceFor(uint16_t contextId) const;
  /// The transfer syntax accepted for `contextId` (tells NDR from NDR64 stubs).
  std::optional<SyntaxId> transferSyntaxFor(uint16_t contextId) const;
  const std::map<uint16_t, PresentationContext>& contexts() const { return contexts_; }

  /// True once a bind_ack accepted the association.
  bool established() const { return established_; }
  /// True once a bind_nak refused it.
  bool rejected() const { return rejected_; }
  uint32_t assocGroupId() const { return assocGroupId_; }
  /// Fragment sizes: the client's proposal until bind_ack, then the server's answer.
  uint16_t maxXmitFrag() const { return maxXmitFrag_; }
  uint16_t maxRecvFrag() const { return maxRecvFrag_; }
  /// Authentication of the bind (or a later alter_context carrying a sec_trailer).
  AuthType authType() const { return authType_; }
  AuthLevel authLevel() const { return authLevel_; }
  uint32_t authContextId() const { return authContextId_; }
  /// bind_ack/alter_context_resp secondary address (the port string, e.g. "135").
  const std::string& secondaryAddress() const { return secondaryAddress_; }

 private:
  ParseResult propose(const Pdu& pdu, const Bind& bind);
  ParseResult answer(const Pdu& pdu, const BindAck& ack);

  AssociationLimits limits_;
  std::map<uint16_t, PresentationContext> contexts_;
  /// Context ids of the outstanding bind/alter_context, in order (results answer in order).
  std::vector<uint16_t> proposed_;
  std::optional<uint32_t> proposalCallId_;
  bool established_ = false;
  bool rejected_ = false;
  uint32_t assocGroupId_ = 0;
  uint16_t maxXmitFrag_ = 0;
  uint16_t maxRecvFrag_ = 0;
  AuthType authType_ = AuthType::None;
  AuthLevel authLevel_ = AuthLevel::None;
  uint32_t authContextId_ = 0;
  std::string secondaryAddress_;
};

}  // namespace bh::mapi::dcerpc
