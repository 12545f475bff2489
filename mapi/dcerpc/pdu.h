#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "mapi/dcerpc/uuid.h"

namespace bh::mapi::dcerpc {

/// PTYPE of the connection-oriented PDUs (C706 12.6.4; MS-RPCE 2.2.2.1).
enum class PType : uint8_t {
  Request = 0,
  Response = 2,
  Fault = 3,
  Bind = 11,
  BindAck = 12,
  BindNak = 13,
  AlterContext = 14,
  AlterContextResp = 15,
  Auth3 = 16,
  Shutdown = 17,
  CoCancel = 18,
  Orphaned = 19,
};

/// True for the PTYPEs above (connectionless types and RTS are not CO PDUs we decode).
bool isConnectionOrientedPType(uint8_t ptype);
/// "bind", "bind_ack", ... (C706 names), "unknown" otherwise.
const char* ptypeName(PType ptype);

/// pfc_flags bits (C706 12.6.3.1; MS-RPCE 2.2.2.3 reuses 0x04 as PFC_SUPPORT_HEADER_SIGN in
/// bind/bind_ack/alter_context).
namespace pfc {
inline constexpr uint8_t FirstFrag = 0x01;
inline constexpr uint8_t LastFrag = 0x02;
inline constexpr uint8_t PendingCancel = 0x04;
inline constexpr uint8_t SupportHeaderSign = 0x04;
inline constexpr uint8_t Reserved1 = 0x08;
inline constexpr uint8_t ConcMpx = 0x10;
inline constexpr uint8_t DidNotExecute = 0x20;
inline constexpr uint8_t Maybe = 0x40;
inline constexpr uint8_t ObjectUuid = 0x80;
}  // namespace pfc

/// auth_type values (MS-RPCE 2.2.1.1.7).
enum class AuthType : uint8_t {
  None = 0,
  Spnego = 9,
  Ntlm = 10,
  Schannel = 14,
  Kerberos = 16,
  Netlogon = 0x44,
  Default = 0xff,
};

/// auth_level values (MS-RPCE 2.2.1.1.8).
enum class AuthLevel : uint8_t {
  Default = 0,
  None = 1,
  Connect = 2,
  Call = 3,
  Pkt = 4,
  PktIntegrity = 5,
  PktPrivacy = 6,
};

/// Size of the common header every CO PDU starts with (C706 12.6.1).
inline constexpr size_t kHeaderSize = 16;
/// Size of sec_trailer (auth_verifier_co_t without auth_value; C706 13.2.6.1).
inline constexpr size_t kSecTrailerSize = 8;

/// The 16-byte common header (C706 12.6.3.1).
struct Header {
  uint8_t rpcVers = 5;
  uint8_t rpcVersMinor = 0;
  PType ptype = PType::Request;
  uint8_t pfcFlags = pfc::FirstFrag | pfc::LastFrag;
  /// packed_drep: byte 0 high nibble integer rep (0x10 little endian), low nibble char rep;
  /// byte 1 float rep; bytes 2-3 reserved (C706 14.1).
  std::array<uint8_t, 4> drep = {0x10, 0, 0, 0};
  uint16_t fragLength = 0;  ///< set by the encoder
  uint16_t authLength = 0;  ///< set by the encoder
  uint32_t callId = 0;

  Endian endian() const { return (drep[0] & 0x10) != 0 ? Endian::Little : Endian::Big; }
  void setEndian(Endian e) {
    drep[0] = static_cast<uint8_t>((drep[0] & 0x0f) | (e == Endian::Little ? 0x10 : 0x00));
  }
  bool has(uint8_t flag) const { return (pfcFlags & flag) != 0; }
  bool operator==(const Header&) const = default;
};

/// sec_trailer (MS-RPCE 2.2.2.11): precedes the auth_value at the end of the PDU, 4-aligned.
struct SecTrailer {
  AuthType authType = AuthType::None;
  AuthLevel authLevel = AuthLevel::None;
  uint8_t authPadLength = 0;  ///< set by the encoder from AuthVerifier::pad
  uint8_t authReserved = 0;
  uint32_t authContextId = 0;
  bool operator==(const SecTrailer&) const = default;
};

/// Everything after the body of an authenticated PDU: the stub padding (kept as sent because
/// signatures cover it), the trailer and the opaque verifier (NTLM signature, SPNEGO/Kerberos
/// token).
struct AuthVerifier {
  Bytes pad;
  SecTrailer trailer;
  Bytes credentials;
  bool operator==(const AuthVerifier&) const = default;
};

/// p_cont_elem_t (C706 12.6.3.1).
struct ContextElement {
  uint16_t contextId = 0;
  uint8_t reserved = 0;
  SyntaxId abstractSyntax;
  std::vector<SyntaxId> transferSyntaxes;
  bool operator==(const ContextElement&) const = default;
};

/// bind and alter_context bodies (C706 12.6.4.3 and 12.6.4.1).
struct Bind {
  uint16_t maxXmitFrag = 0;
  uint16_t maxRecvFrag = 0;
  uint32_t assocGroupId = 0;
  uint8_t reserved = 0;
  uint16_t reserved2 = 0;
  std::vector<ContextElement> contexts;
  bool operator==(const Bind&) const = default;
};

/// p_cont_def_result_t (C706 12.6.3.1); NegotiateAck is MS-RPCE 2.2.2.4's bind time feature
/// negotiation answer, whose reason field carries the accepted feature bits.
enum class ContextResultCode : uint16_t {
  Acceptance = 0,
  UserRejection = 1,
  ProviderRejection = 2,
  NegotiateAck = 3,
};

/// p_result_t (C706 12.6.3.1).
struct ContextResult {
  uint16_t result = 0;
  uint16_t reason = 0;
  SyntaxId transferSyntax;
  bool operator==(const ContextResult&) const = default;
};

/// bind_ack and alter_context_resp bodies (C706 12.6.4.4 and 12.6.4.2).
struct BindAck {
  uint16_t maxXmitFrag = 0;
  uint16_t maxRecvFrag = 0;
  uint32_t assocGroupId = 0;
  /// port_spec exactly as sent, including its terminating NUL ("135\0"); empty in
  /// alter_context_resp. Its length is the sec_addr length field.
  std::string secondaryAddress;
  uint8_t reserved = 0;
  uint16_t reserved2 = 0;
  std::vector<ContextResult> results;

  /// The port string without the NUL.
  std::string port() const;
  bool operator==(const BindAck&) const = default;
};

/// Protocol version pair in bind_nak's p_rt_versions_supported_t.
struct ProtocolVersion {
  uint8_t major = 5;
  uint8_t minor = 0;
  bool operator==(const ProtocolVersion&) const = default;
};

/// bind_nak body (C706 12.6.4.5). MS-RPCE 2.2.2.7's signature and extended error follow as
/// Pdu::extra.
struct BindNak {
  uint16_t providerRejectReason = 0;
  std::vector<ProtocolVersion> versions;
  bool operator==(const BindNak&) const = default;
};

/// request body (C706 12.6.4.9): the stub excludes the auth padding.
struct Request {
  uint32_t allocHint = 0;
  uint16_t contextId = 0;
  uint16_t opnum = 0;
  std::optional<Uuid> object;  ///< present iff PFC_OBJECT_UUID
  Bytes stub;
  bool operator==(const Request&) const = default;
};

/// response body (C706 12.6.4.10).
struct Response {
  uint32_t allocHint = 0;
  uint16_t contextId = 0;
  uint8_t cancelCount = 0;
  uint8_t reserved = 0;
  Bytes stub;
  bool operator==(const Response&) const = default;
};

/// fault body (C706 12.6.4.7; MS-RPCE 2.2.2.11 names reserved's bit 0x01 extended error).
struct Fault {
  uint32_t allocHint = 0;
  uint16_t contextId = 0;
  uint8_t cancelCount = 0;
  uint8_t reserved = 0;
  uint32_t status = 0;
  uint32_t reserved2 = 0;
  Bytes stub;
  bool operator==(const Fault&) const = default;
};

/// rpc_auth_3 body (MS-RPCE 2.2.2.10): 4 pad octets, any value.
struct Auth3 {
  Bytes pad;
  bool operator==(const Auth3&) const = default;
};

/// shutdown, co_cancel and orphaned carry nothing past the header (C706 12.6.4.6, .8, .11).
struct Empty {
  bool operator==(const Empty&) const = default;
};

using Body = std::variant<Empty, Request, Response, Fault, Bind, BindAck, BindNak, Auth3>;

/// One connection-oriented PDU (one fragment).
struct Pdu {
  Header header;
  Body body;
  /// Body bytes the type's layout does not define (before any auth padding): MS-RPCE
  /// extensions such as bind_nak's signature, or trailing octets some stacks send.
  Bytes extra;
  std::optional<AuthVerifier> auth;

  PType ptype() const { return header.ptype; }
  const Request* request() const { return std::get_if<Request>(&body); }
  const Response* response() const { return std::get_if<Response>(&body); }
  const Fault* fault() const { return std::get_if<Fault>(&body); }
  /// bind or alter_context.
  const Bind* bind() const { return std::get_if<Bind>(&body); }
  /// bind_ack or alter_context_resp.
  const BindAck* bindAck() const { return std::get_if<BindAck>(&body); }
  const BindNak* bindNak() const { return std::get_if<BindNak>(&body); }
  bool operator==(const Pdu&) const = default;
};

}  // namespace bh::mapi::dcerpc
