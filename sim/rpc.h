#pragma once

// A small connection-oriented DCE/RPC server and client over blocking sockets, built on the
// mapi/dcerpc codec: bind/bind_ack with association groups (C706 12.6.4.3-4, MS-RPCE 3.3.1.5.3
// feature negotiation), alter_context, fragmented requests and responses (C706 12.6.3.5), faults.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "mapi/dcerpc/co_stream.h"
#include "mapi/dcerpc/pdu.h"
#include "secure/kerberos/gss_credential.h"
#include "secure/kerberos/gss_dce_context.h"
#include "secure/sealed_rpc/sealed_association.h"
#include "secure/sealed_rpc/server_security.h"
#include "sim/net.h"

namespace bh::sim {

namespace dcerpc = bh::mapi::dcerpc;
using dcerpc::AuthLevel;
using dcerpc::AuthType;
using dcerpc::SyntaxId;

/// What a call handler may want to know about its connection.
struct CallInfo {
  std::string localAddress;  ///< the address the client connected to
  uint16_t localPort = 0;
};

class RpcInterface {
 public:
  virtual ~RpcInterface() = default;
  virtual const SyntaxId& syntax() const = 0;
  /// @return the response stub, or nullopt with `fault` set (sent as a fault PDU).
  virtual std::optional<Bytes> call(uint16_t opnum, ByteSpan stub, const CallInfo& info,
                                    uint32_t& fault) = 0;
};

/// Reads from `socket` into `stream` (the appliance's DCE/RPC stream engine) until it hands out
/// a whole PDU. False at EOF, or when the stream does not frame, decode or reassemble.
bool receivePdu(Socket& socket, dcerpc::CoStream& stream, dcerpc::StreamPdu& out);

struct RpcServerOptions {
  /// Authenticated binds of this type are answered (the hand-off cases); others are refused
  /// with a bind_nak when they carry authentication.
  AuthType acceptAuth = AuthType::None;
  AuthLevel acceptLevel = AuthLevel::None;  ///< the lowest level accepted
  uint16_t maxFrag = 5840;                  ///< what Windows answers on ncacn_ip_tcp
  size_t maxCallStub = 8u << 20;
  size_t maxPendingCalls = 16;
  /// When set, Kerberos binds (auth_type 16) at packet privacy are accepted for real: one
  /// provider per connection (secure/kerberos/gss_dce_acceptor.h with the service's keytab),
  /// the three DCE legs, every request unsealed and every response sealed (MS-RPCE 3.3.1.5.2).
  std::function<std::unique_ptr<secure::sealed_rpc::ServerSecurity>()> kerberosAcceptor;
  /// The same for SPNEGO binds (auth_type 9, four legs: the third in alter_context); either
  /// provider serves packet privacy and packet integrity, as the bind asks.
  std::function<std::unique_ptr<secure::sealed_rpc::ServerSecurity>()> spnegoAcceptor;
};

/// Serves one connection until EOF or a protocol error. Thread-safe across connections as long
/// as the interfaces are.
class RpcServer {
 public:
  RpcServer(std::vector<RpcInterface*> interfaces, RpcServerOptions options = {})
      : interfaces_(std::move(interfaces)), options_(options) {}
  /// Serves `socket` until EOF, a protocol error, or shutdown(2) from another thread.
  void serveConnection(Socket& socket);

 private:
  std::vector<RpcInterface*> interfaces_;
  RpcServerOptions options_;
  std::atomic<uint32_t> nextAssocGroup_{0x00012f00};
};

/// Builds the NTLM CHALLENGE message (MS-NLMP 2.2.1.2) answering a NEGOTIATE, so that an
/// NTLM-authenticated bind gets the bind_ack a client expects.
Bytes ntlmChallenge(uint64_t serverChallenge);
/// An NTLM NEGOTIATE (MS-NLMP 2.2.1.1) and an anonymous AUTHENTICATE (2.2.1.3), outlook-sim's
/// side of an NTLM bind at the connect level.
Bytes ntlmNegotiate();
Bytes ntlmAnonymousAuthenticate();

/// The client side: one connection, one association.
class RpcClient {
 public:
  bool connect(const std::string& host, uint16_t port, std::string* error);
  /// Binds `syntax` with NDR 2.0 in association group `assocGroup` (0: a new group).
  bool bind(const SyntaxId& syntax, uint32_t assocGroup, std::string* error);
  /// Later binds authenticate with NTLM at RPC_C_AUTHN_LEVEL_CONNECT (MS-RPCE 3.3.1.5.2): the
  /// bind carries an NTLM NEGOTIATE, the bind_ack the server's CHALLENGE, and an rpc_auth_3
  /// the (anonymous) AUTHENTICATE; calls carry no verifier at this level.
  void setNtlmConnect(bool on) { ntlmConnect_ = on; }
  /// Binds authenticate with Kerberos (auth_type 16, DCE style; or SPNEGO, 9, with
  /// `options.spnego`) at packet privacy (or integrity, `options.integrity`) with the
  /// credential's ticket for `target` ("exchangeMDB/exch1.bhlab.test"), through
  /// secure/sealed_rpc's client association: every call sealed (signed), every response
  /// unsealed (verified).
  /// `credential` must outlive the client.
  void setKerberos(const secure::kerberos::GssCredential* credential, std::string target,
                   secure::kerberos::GssDceOptions options = {}) {
    kerberosCredential_ = credential;
    kerberosTarget_ = std::move(target);
    kerberosOptions_ = options;
  }
  /// Test tools (outlook-sim --key-log): sees the sealed association's key once the bind is
  /// complete (GssDceContext::sessionKey: the acceptor's subkey when the AP-REP carried one).
  void setKeyLog(std::function<void(const char* what, ByteSpan key)> log) {
    keyLog_ = std::move(log);
  }
  /// Test tools (outlook-sim --bad-verifier-call): asked before each sealed call is sent; when it
  /// answers true, the call's first fragment goes out with the last byte of its verifier
  /// (auth_value) flipped, a PDU whose verifier cannot check (MS-RPCE 3.3.1.5.2).
  void setCorruptVerifier(std::function<bool()> corrupt) { corruptVerifier_ = std::move(corrupt); }
  /// One call; request and response fragmented as negotiated.
  std::optional<Bytes> call(uint16_t opnum, ByteSpan stub, std::string* error);
  uint32_t assocGroup() const { return assocGroup_; }
  uint16_t maxXmitFrag() const { return maxXmit_; }
  uint64_t bytesSent() const { return sent_; }
  uint64_t bytesReceived() const { return received_; }
  void close() { socket_.close(); }
  /// Sees every byte sent (fromClient) and received, in order (recording test vectors).
  void setRecorder(std::function<void(bool fromClient, ByteSpan bytes)> recorder) {
    recorder_ = std::move(recorder);
  }

 private:
  bool send(const dcerpc::Pdu& pdu, std::string* error);
  bool sendRaw(ByteSpan wire, std::string* error);
  bool bindKerberos(const SyntaxId& syntax, uint32_t assocGroup, std::string* error);
  std::optional<Bytes> callSealed(uint16_t opnum, ByteSpan stub, std::string* error);
  /// Reads until `step` is Done over the buffered server bytes (recorded and counted).
  bool readSealed(const std::function<ParseResult(ByteSpan)>& step, std::string* error);
  Socket socket_;
  const secure::kerberos::GssCredential* kerberosCredential_ = nullptr;
  std::string kerberosTarget_;
  secure::kerberos::GssDceOptions kerberosOptions_;  ///< SPNEGO, packet integrity
  std::unique_ptr<secure::kerberos::GssDceContext> gss_;
  std::unique_ptr<secure::sealed_rpc::SealedClientAssociation> sealed_;
  Bytes fromServerBytes_;  ///< sealed association: received, not yet read
  uint32_t callId_ = 1;
  uint32_t assocGroup_ = 0;
  uint16_t maxXmit_ = 5840;
  bool ntlmConnect_ = false;
  uint64_t sent_ = 0;
  uint64_t received_ = 0;
  /// The server's stream: answers of up to 64 MiB.
  dcerpc::CoStream fromServer_{
      dcerpc::Sender::Server, dcerpc::StreamLimits{65535, 64u << 20, 16, (64u << 20) + (1u << 20)}};
  std::function<void(bool, ByteSpan)> recorder_;
  std::function<void(const char*, ByteSpan)> keyLog_;
  std::function<bool()> corruptVerifier_;
};

}  // namespace bh::sim
