#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>

#include "common/bytes.h"
#include "secure/openssl_ptr.h"
#include "secure/tls_context.h"
#include "secure/tls_failure.h"

namespace bh::secure {

/// Where a session stands (RFC 8446 section 2: handshake, then application data, then closure).
enum class TlsState { Handshaking, Established, Closed, Failed };

/// One TLS connection over memory BIOs: the proxy feeds the ciphertext it read from the peer leg
/// and writes what takeCiphertext() returns; plaintext goes in with write() and comes out with
/// takePlaintext(). No socket, no blocking: every call does what the bytes at hand allow.
class TlsSession {
 public:
  /// `peer` names the other end (its address); a client resumes with the ticket kept for it.
  /// `context` must outlive the session.
  static Outcome<std::unique_ptr<TlsSession>> create(TlsContext& context, const std::string& peer);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  /// Ciphertext received from the peer. Refuses (BufferCapExceeded) more than maxCiphertextIn
  /// unopened bytes; otherwise advances the handshake and opens what records are complete.
  TlsState receive(ByteSpan ciphertext);
  /// The peer's stream ended (FIN). Without close_notify, or inside a record, this is a
  /// truncation (RFC 8446 section 6.1): TruncatedRecord.
  TlsState receiveEnd();
  /// Seals plaintext; returns how many bytes were taken (0 before the handshake completes, or
  /// while maxCiphertextOut sealed bytes wait to be taken).
  size_t write(ByteSpan plaintext);
  /// Sends close_notify (RFC 8446 section 6.1).
  void close();
  /// Ends the session for a reason found outside TLS (OCSP said revoked, for instance).
  void fail(TlsFailure reason, const std::string& detail);

  /// Sealed bytes for the peer (handshake flights, records, alerts); empties the buffer.
  Bytes takeCiphertext();
  /// Opened application data; empties the buffer and opens more records if any wait.
  Bytes takePlaintext();
  size_t pendingCiphertextOut() const;
  size_t pendingPlaintextIn() const { return plaintextIn_.size(); }

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
  void failFromOpenSsl(int sslError);

  TlsContext& context_;
  std::string peer_;
  SslPtr ssl_;
  BIO* rbio_ = nullptr;  // owned by ssl_
  BIO* wbio_ = nullptr;  // owned by ssl_
  TlsState state_ = TlsState::Handshaking;
  TlsFailure failure_ = TlsFailure::None;
  std::string failureText_;
  bool resumed_ = false;
  int verifyError_ = 0;
  bool verifyDefaultSelfSigned_ = false;
  std::string verifyCertificate_;  ///< the certificate the first chain error concerns
  Bytes plaintextIn_;
};

}  // namespace bh::secure
