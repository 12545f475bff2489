#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>

#include "common/bytes.h"
#include "secure/openssl_ptr.h"
#include "secure/tls_context.h"
#include "secure/tls_failure.h"
#include "secure/tls_transport.h"

namespace bh::secure {

/// Where a session stands (RFC 8446 section 2: handshake, then application data, then closure).
enum class TlsState { Handshaking, Established, Closed, Failed };

/// What became of 0-RTT early data (RFC 8446 section 4.2.10) on this connection.
enum class EarlyData { None, Accepted, Rejected };

/// One TLS connection over a byte pipe (tls_transport.h): the proxy feeds the ciphertext it read
/// from the peer leg and writes what takeCiphertext() returns; plaintext goes in with write() and
/// comes out with takePlaintext(). No socket, no blocking: every call does what the bytes at hand
/// allow.
class TlsSession {
 public:
  /// `peer` names the other end (its address); a client resumes with the ticket kept for it.
  /// `context` must outlive the session.
  static Outcome<std::unique_ptr<TlsSession>> create(TlsContext& context, const std::string& peer);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  /// Ciphertext received from the peer: advances the handshake and opens what records are
  /// complete, reading `ciphertext` in place. What it cannot open now (no plaintext room) is kept,
  /// at most maxCiphertextIn bytes: beyond that the session fails (BufferCapExceeded).
  TlsState receive(ByteSpan ciphertext);
  /// The peer's stream ended (FIN). Without close_notify, or inside a record, this is a
  /// truncation (RFC 8446 section 6.1): TruncatedRecord.
  TlsState receiveEnd();
  /// Seals plaintext; returns how many bytes were taken (0 before the handshake completes, or
  /// while maxCiphertextOut sealed bytes wait to be taken).
  size_t write(ByteSpan plaintext);
  /// Client, resuming a ticket that allows early data, before any of the peer's bytes came:
  /// how many more plaintext bytes writeEarly() takes (0 otherwise).
  size_t earlyDataRoom() const;
  /// Seals plaintext as 0-RTT early data (RFC 8446 section 4.2.10); the first call sends the
  /// ClientHello with it. Returns how many bytes were taken (at most earlyDataRoom()). A copy is
  /// kept until the server's answer: if it rejects early data, the bytes are sent again as
  /// ordinary data once the handshake completes, before anything else (nothing lost, nothing
  /// twice). The first receive() ends the early window.
  size_t writeEarly(ByteSpan plaintext);
  /// Server: true while the client's accepted early data may be read before its Finished; the
  /// proxy may then also write (0.5-RTT data, RFC 8446 section 2.3).
  bool earlyDataOpen() const;
  /// write() would take plaintext now (established, or a server answering early data).
  bool writable() const { return state_ == TlsState::Established || earlyDataOpen(); }
  /// Client: early bytes were sent and the server has not (yet) said it rejected them, so they
  /// may have been acted on: a failure from here on must not replay them elsewhere.
  bool earlyDataMayHaveArrived() const {
    return !earlyCopy_.empty() || earlyData_ == EarlyData::Accepted;
  }
  EarlyData earlyData() const { return earlyData_; }
  /// Client, established: no NewSessionTicket has come on this connection yet (RFC 8446 section
  /// 4.6.1). The server sends it once it has our Finished, so after a resumption it arrives a
  /// round trip after the handshake: a connection closed before then loses it, and the next
  /// connection to the peer finds one ticket fewer (secure/README.md "Resumption and early
  /// data"). False when this context keeps no tickets.
  bool awaitingTicket() const;
  /// Called by the NewSessionTicket callback (tls_context.cc).
  void noteTicket() { ++ticketsReceived_; }
  /// Sends close_notify (RFC 8446 section 6.1).
  void close();
  /// Ends the session for a reason found outside TLS (OCSP said revoked, for instance).
  void fail(TlsFailure reason, const std::string& detail);

  /// Sealed bytes for the peer (handshake flights, records, alerts); empties the buffer.
  Bytes takeCiphertext();
  /// Opened application data; empties the buffer and opens more records if any wait.
  Bytes takePlaintext();
  size_t pendingCiphertextOut() const { return io_.out.size(); }
  size_t pendingPlaintextIn() const { return plaintextIn_.size(); }
  /// Ciphertext received and kept unopened (bounded by maxCiphertextIn).
  size_t pendingCiphertextIn() const { return io_.unread(); }

  TlsState state() const { return state_; }
  TlsFailure failure() const { return failure_; }
  /// "<reason name>: <detail>" for logs; never contains key or ticket bytes.
  const std::string& failureText() const { return failureText_; }
  /// True once established if the handshake resumed a ticket (no certificate exchange).
  bool resumed() const { return resumed_; }
  std::string protocolName() const;
  std::string cipherName() const;
  /// The peer's certificate (leaf), or null; for OCSP and `show crypto certificates`.
  X509* peerCertificate() const;
  const std::string& peer() const { return peer_; }
  TlsContext& context() { return context_; }

  /// Called by the verify callback (tls_context.cc): the first chain error and whether the
  /// certificate it concerns is the default self-signed one, and that certificate's name
  /// (certificate_name.h), which the failure text carries.
  void noteVerifyError(int x509Error, bool defaultSelfSigned, const std::string& certificateName);

 private:
  TlsSession(TlsContext& context, std::string peer) : context_(context), peer_(std::move(peer)) {}
  void advance();
  /// Server: reads the client's early data until its EndOfEarlyData (or none comes).
  bool readEarlyData();
  /// Client: the handshake completed; early data the server rejected goes again.
  void settleEarlyData();
  void openRecords();
  void failFromOpenSsl(int sslError);

  TlsContext& context_;
  std::string peer_;
  TlsTransport io_;  ///< before ssl_: its BIO points here, so it must outlive the SSL
  SslPtr ssl_;
  TlsState state_ = TlsState::Handshaking;
  TlsFailure failure_ = TlsFailure::None;
  std::string failureText_;
  bool resumed_ = false;
  size_t ticketsReceived_ = 0;
  int verifyError_ = 0;
  bool verifyDefaultSelfSigned_ = false;
  std::string verifyCertificate_;  ///< the certificate the first chain error concerns
  Bytes plaintextIn_;
  // 0-RTT (client): the window is open from a ticket allowing early data until the first
  // receive(); earlyCopy_ holds what was sent early until the server accepts or rejects it.
  bool earlyWindow_ = false;
  bool helloSent_ = true;  ///< false while the ClientHello waits for the first early bytes
  size_t earlyBudget_ = 0;
  Bytes earlyCopy_;
  // 0-RTT (server): SSL_read_early_data until it says the early data is over.
  bool earlyReading_ = false;
  EarlyData earlyData_ = EarlyData::None;
};

}  // namespace bh::secure
