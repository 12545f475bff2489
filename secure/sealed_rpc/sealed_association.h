#pragma once
// The client side of one DCE/RPC association bound at packet privacy (MS-RPCE 3.3.1.5.2), as a
// state machine over bytes: no socket, no loop. The caller writes what it produces and feeds
// back what the server sent; every PDU is framed and checked against a cap before anything is
// buffered, and every failure is named (AssociationError).
//
//   bind()        -> the bind PDU: one presentation context (the interface, NDR 2.0), auth_type
//                    from the security provider at level 6, PFC_SUPPORT_HEADER_SIGN offered
//   onBindAck()   <- bind_ack (with the AP-REP) -> the rpc_auth_3 PDU to send; or bind_nak /
//                    fault / a refused context, named. With SPNEGO (auth_type 9, four legs) the
//                    PDU is an alter_context with the client's NegTokenResp, and
//   onAlterContextResp() <- alter_context_resp with the server's last NegTokenResp
//                    (MS-RPCE 3.3.1.5.2.1; Samba and Windows bind SPNEGO so)
//   request()     -> one call's fragments, each at most the negotiated max_xmit_frag, each
//                    sealed on its own (its stub padded to 16 bytes, MS-RPCE 2.2.2.11)
//   onResponse()  <- the call's response fragments, each unsealed and verified; the stub once
//                    the last arrived (takeResponse), or a fault, named
//
// One call at a time (the encryption service's DRSUAPI calls are sequential).

#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "mapi/dcerpc/pdu.h"
#include "secure/sealed_rpc/association_error.h"
#include "secure/sealed_rpc/client_security.h"

namespace bh::secure::sealed_rpc {

struct AssociationConfig {
  /// The interface to bind (for DRSUAPI e3514235-4b06-11d1-ab04-00c04fc2dcd2 v4.0).
  mapi::dcerpc::SyntaxId interface;
  uint16_t contextId = 0;
  /// sec_trailer auth_context_id (Samba's client uses 1).
  uint32_t authContextId = 1;
  /// What the bind offers; the association then sends at most the server's max_recv_frag and
  /// reads fragments up to maxRecvFrag (or the server's max_xmit_frag, if larger: Samba's floor
  /// is 2048).
  uint16_t maxXmitFrag = 5840;
  uint16_t maxRecvFrag = 5840;
  /// call_id of the bind; calls count on from it.
  uint32_t firstCallId = 1;
  /// The bind's assoc_group_id: 0 for a new group, or the group of an earlier bind_ack to join
  /// it (MS-RPCE 3.3.1.5.6; outlook-sim's EMSMDB and AsyncEMSMDB connections share one).
  uint32_t assocGroupId = 0;
  /// Caps: one call's stub each way, and the fragments of one response.
  size_t maxRequestStub = 1024 * 1024;
  size_t maxResponseStub = 16 * 1024 * 1024;
  size_t maxResponseFragments = 8192;
};

class SealedClientAssociation {
 public:
  enum class State {
    Idle,              ///< nothing sent
    BindSent,          ///< waiting for bind_ack
    AlterContextSent,  ///< SPNEGO's third leg sent, waiting for alter_context_resp
    Ready,             ///< bound and authenticated: request() may be called
    AwaitingResponse,  ///< a call's fragments sent, its response incomplete
    Failed,            ///< stopped: error() says why; nothing more is produced or read
  };

  /// @param security the provider (GssDceContext); it must outlive the association.
  SealedClientAssociation(ClientSecurity& security, AssociationConfig config);

  /// The bind PDU. @return false (and Failed) if the provider cannot make its first token.
  bool bind(Bytes& out);

  /// Reads the one PDU at the start of `data`: bind_ack (then `auth3` is the rpc_auth_3 PDU to
  /// send, and the state Ready), bind_nak or fault (Failed, named).
  /// @return Done(bytes of the PDU), NeedMore(total bytes needed) or Error (error() names it).
  ParseResult onBindAck(ByteSpan data, Bytes& auth3);
  /// After a four-leg onBindAck (state AlterContextSent): reads the alter_context_resp, gives
  /// its auth_value to the provider, and the state is Ready.
  /// @return Done(bytes of the PDU), NeedMore or Error (error() names it).
  ParseResult onAlterContextResp(ByteSpan data);

  /// One call: the sealed request fragments to send in order.
  /// @return false (error()) when not Ready, over maxRequestStub, or a seal fails.
  bool request(uint16_t opnum, ByteSpan stub, std::vector<Bytes>& fragments);

  /// Reads the one PDU at the start of `data`: a response fragment of the current call
  /// (unsealed, its stub appended; the call completes with the last fragment) or a fault.
  /// @return Done(bytes of the PDU), NeedMore or Error (error() names it).
  ParseResult onResponse(ByteSpan data);
  /// True when the current call's last fragment has arrived; takeResponse() then hands over
  /// the whole stub and the association is Ready for the next call.
  bool responseComplete() const { return responseComplete_; }
  Bytes takeResponse();

  State state() const { return state_; }
  const AssociationError& error() const { return error_; }
  /// Negotiated in bind_ack (0 before).
  uint16_t negotiatedXmitFrag() const { return xmitFrag_; }
  uint16_t negotiatedRecvFrag() const { return recvFrag_; }
  bool headerSigning() const { return headerSigning_; }
  uint32_t assocGroupId() const { return assocGroupId_; }
  /// Bytes of response stub held for the current call (for the cap's tests).
  size_t bufferedResponseBytes() const { return response_.size(); }
  /// Stub bytes per request fragment (a multiple of 16), once bound.
  size_t fragmentPayload() const { return fragmentPayload_; }

 private:
  ParseResult fail(AssociationFailure failure, std::string detail, uint32_t status = 0);
  bool failBool(AssociationFailure failure, std::string detail, uint32_t status = 0);
  ParseResult frame(ByteSpan data, size_t maxFrag, mapi::dcerpc::Pdu& pdu);
  bool checkTrailer(const mapi::dcerpc::AuthVerifier& auth);
  ParseResult onFault(const mapi::dcerpc::Pdu& pdu);
  /// The bind's PDU with `ptype` (bind or alter_context) and its presentation context.
  mapi::dcerpc::Pdu bindPdu(mapi::dcerpc::PType ptype, uint32_t assocGroupId) const;
  /// bind_ack or alter_context_resp: one result, accepted with NDR 2.0, an auth verifier.
  ParseResult checkAck(const mapi::dcerpc::Pdu& pdu, const mapi::dcerpc::BindAck& ack);
  /// Once the context is established: the token size and the stub per request fragment.
  ParseResult finishBind(ParseResult r);

  ClientSecurity& security_;
  AssociationConfig config_;
  State state_ = State::Idle;
  AssociationError error_;
  uint32_t nextCallId_;
  uint32_t callId_ = 0;
  uint16_t xmitFrag_ = 0;
  uint16_t recvFrag_ = 0;
  bool headerSigning_ = false;
  uint32_t assocGroupId_ = 0;
  size_t tokenSize_ = 0;
  size_t fragmentPayload_ = 0;
  Bytes response_;
  size_t responseFragments_ = 0;
  bool responseComplete_ = false;
};

}  // namespace bh::secure::sealed_rpc
