#include "secure/tls_session.h"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <algorithm>

namespace bh::secure {

namespace {

// A chain error of X.509 verification (RFC 5280 section 6) as the failure it causes.
TlsFailure fromVerifyError(int err, bool defaultSelfSigned) {
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return TlsFailure::CertificateExpired;
    case X509_V_ERR_CERT_REVOKED:
      return TlsFailure::CertificateRevoked;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return defaultSelfSigned ? TlsFailure::DefaultSelfSigned : TlsFailure::UnknownCa;
    default:
      return TlsFailure::CertificateVerifyFailed;
  }
}

// An OpenSSL SSL-library reason as the failure it stands for: our own checks of the peer's
// records (RFC 8446 section 5) and the alerts the peer sent (section 6.2).
TlsFailure fromSslReason(int reason) {
  switch (reason) {
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
      return TlsFailure::UnknownCa;
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
      return TlsFailure::CertificateExpired;
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
      return TlsFailure::CertificateRevoked;
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
      return TlsFailure::CertificateVerifyFailed;
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
      return TlsFailure::NoPeerCertificate;
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_UNKNOWN_SSL_VERSION:
      return TlsFailure::ProtocolVersionMismatch;
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_CIPHERS_AVAILABLE:
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
    case SSL_R_NO_SUITABLE_KEY_SHARE:
    case SSL_R_NO_SHARED_GROUPS:
      return TlsFailure::CipherMismatch;
    case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC:
    case SSL_R_SSLV3_ALERT_BAD_RECORD_MAC:
      return TlsFailure::BadRecordMac;
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_ENCRYPTED_LENGTH_TOO_LONG:
    case SSL_R_DATA_LENGTH_TOO_LONG:
    case SSL_R_TLSV1_ALERT_RECORD_OVERFLOW:
      return TlsFailure::RecordOverflow;
    case SSL_R_UNEXPECTED_EOF_WHILE_READING:
      return TlsFailure::TruncatedRecord;
    default:
      break;
  }
  if (reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256) {
    return TlsFailure::PeerAlert;
  }
  // Anything else the record or handshake layer refused came from the peer's bytes (wrong
  // version number, unexpected message, bad length, ...).
  return TlsFailure::BadRecord;
}

}  // namespace

Outcome<std::unique_ptr<TlsSession>> TlsSession::create(TlsContext& context,
                                                        const std::string& peer) {
  using R = Outcome<std::unique_ptr<TlsSession>>;
  std::unique_ptr<TlsSession> s(new TlsSession(context, peer));
  s->ssl_.reset(SSL_new(context.native()));
  BIO* r = BIO_new(BIO_s_mem());
  BIO* w = BIO_new(BIO_s_mem());
  if (!s->ssl_ || r == nullptr || w == nullptr) {
    BIO_free(r);
    BIO_free(w);
    return R::failure("tls session: " + takeOpenSslError());
  }
  // An empty memory BIO reads as "retry", not end of stream, until receiveEnd().
  BIO_set_mem_eof_return(r, -1);
  SSL_set_bio(s->ssl_.get(), r, w);
  s->rbio_ = r;
  s->wbio_ = w;
  SSL_set_app_data(s->ssl_.get(), s.get());
  if (context.role() == TlsRole::Client) {
    SSL_set_connect_state(s->ssl_.get());
    if (SslSessionPtr ticket = context.takeTicket(peer)) {
      SSL_set_session(s->ssl_.get(), ticket.get());  // takes its own reference
    }
  } else {
    SSL_set_accept_state(s->ssl_.get());
  }
  s->advance();  // a client's ClientHello is ready at once
  return R::success(std::move(s));
}

TlsSession::~TlsSession() {
  if (ssl_) {
    SSL_set_app_data(ssl_.get(), nullptr);
  }
}

TlsState TlsSession::receive(ByteSpan ciphertext) {
  if (state_ == TlsState::Failed || state_ == TlsState::Closed) {
    return state_;
  }
  size_t pending = BIO_ctrl_pending(rbio_);
  if (ciphertext.size() >
      context_.config().maxCiphertextIn - std::min(pending, context_.config().maxCiphertextIn)) {
    fail(TlsFailure::BufferCapExceeded, "more than " +
                                            std::to_string(context_.config().maxCiphertextIn) +
                                            " unopened ciphertext bytes");
    return state_;
  }
  if (!ciphertext.empty() &&
      BIO_write(rbio_, ciphertext.data(), static_cast<int>(ciphertext.size())) !=
          static_cast<int>(ciphertext.size())) {
    fail(TlsFailure::Internal, "memory BIO write failed");
    return state_;
  }
  advance();
  return state_;
}

TlsState TlsSession::receiveEnd() {
  if (state_ == TlsState::Failed || state_ == TlsState::Closed) {
    return state_;
  }
  BIO_set_mem_eof_return(rbio_, 0);
  advance();
  if (state_ == TlsState::Handshaking || state_ == TlsState::Established) {
    // The read side saw no error (the proxy stopped reading at the plaintext cap): still a
    // stream that ended without close_notify.
    fail(TlsFailure::TruncatedRecord, "stream ended without close_notify");
  }
  return state_;
}

void TlsSession::advance() {
  SSL* ssl = ssl_.get();
  if (state_ == TlsState::Handshaking) {
    ERR_clear_error();
    int r = SSL_do_handshake(ssl);
    if (r != 1) {
      failFromOpenSsl(SSL_get_error(ssl, r));
      return;
    }
    state_ = TlsState::Established;
    resumed_ = SSL_session_reused(ssl) == 1;
  }
  // Open records while the proxy has room for their plaintext; what does not fit stays in the
  // read BIO (itself capped by maxCiphertextIn), which is the back-pressure.
  uint8_t buf[16384];
  while (state_ == TlsState::Established &&
         plaintextIn_.size() < context_.config().maxPlaintextIn) {
    size_t room = std::min(sizeof buf, context_.config().maxPlaintextIn - plaintextIn_.size());
    size_t n = 0;
    ERR_clear_error();
    if (SSL_read_ex(ssl, buf, room, &n) == 1) {
      plaintextIn_.insert(plaintextIn_.end(), buf, buf + n);
      continue;
    }
    int e = SSL_get_error(ssl, 0);
    if (e == SSL_ERROR_ZERO_RETURN) {
      state_ = TlsState::Closed;  // close_notify received
      return;
    }
    failFromOpenSsl(e);
    return;
  }
}

void TlsSession::failFromOpenSsl(int sslError) {
  if (sslError == SSL_ERROR_WANT_READ || sslError == SSL_ERROR_WANT_WRITE) {
    return;  // needs more of the peer's bytes: not a failure
  }
  unsigned long e = ERR_peek_error();
  std::string detail = takeOpenSslError();
  TlsFailure f = TlsFailure::Internal;
  if (verifyError_ != 0) {
    f = fromVerifyError(verifyError_, verifyDefaultSelfSigned_);
    // Named with the certificate the error concerns, so the log says which one to replace.
    detail = std::string(X509_verify_cert_error_string(verifyError_)) + ": certificate " +
             verifyCertificate_;
    if (f == TlsFailure::DefaultSelfSigned) {
      detail = "peer certificate is the default self-signed one and peer-cert-verify is on";
    }
  } else if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL) {
    f = fromSslReason(ERR_GET_REASON(e));
  } else if (sslError == SSL_ERROR_SYSCALL || sslError == SSL_ERROR_SSL) {
    f = TlsFailure::TruncatedRecord;
    detail = detail.empty() ? "stream ended inside a record" : detail;
  }
  fail(f, detail);
}

void TlsSession::fail(TlsFailure reason, const std::string& detail) {
  if (state_ == TlsState::Failed) {
    return;
  }
  state_ = TlsState::Failed;
  failure_ = reason;
  failureText_ = std::string(tlsFailureName(reason));
  if (!detail.empty()) {
    failureText_ += ": " + detail;
  }
}

size_t TlsSession::write(ByteSpan plaintext) {
  if (state_ != TlsState::Established || plaintext.empty()) {
    return 0;
  }
  size_t cap = context_.config().maxCiphertextOut;
  size_t pending = BIO_ctrl_pending(wbio_);
  if (pending >= cap) {
    return 0;
  }
  // Sealing adds at most 22 bytes per record of up to 2^14 bytes (RFC 8446 section 5.2).
  size_t room = cap - pending;
  size_t take = std::min(plaintext.size(), room - std::min(room, (room / 16384 + 1) * 22));
  if (take == 0) {
    return 0;
  }
  size_t written = 0;
  ERR_clear_error();
  if (SSL_write_ex(ssl_.get(), plaintext.data(), take, &written) != 1) {
    failFromOpenSsl(SSL_get_error(ssl_.get(), 0));
    return 0;
  }
  return written;
}

void TlsSession::close() {
  if (state_ == TlsState::Established || state_ == TlsState::Closed) {
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }
}

Bytes TlsSession::takeCiphertext() {
  Bytes out(BIO_ctrl_pending(wbio_));
  if (!out.empty()) {
    int n = BIO_read(wbio_, out.data(), static_cast<int>(out.size()));
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  return out;
}

Bytes TlsSession::takePlaintext() {
  Bytes out;
  out.swap(plaintextIn_);
  advance();
  return out;
}

size_t TlsSession::pendingCiphertextOut() const {
  return BIO_ctrl_pending(wbio_);
}

std::string TlsSession::protocolName() const {
  return SSL_get_version(ssl_.get());
}

std::string TlsSession::cipherName() const {
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_.get());
  return c != nullptr ? SSL_CIPHER_standard_name(c) : "";
}

X509* TlsSession::peerCertificate() const {
  return SSL_get0_peer_certificate(ssl_.get());
}

void TlsSession::noteVerifyError(int x509Error, bool defaultSelfSigned,
                                 const std::string& certificateName) {
  if (verifyError_ == 0) {
    verifyError_ = x509Error;
    verifyDefaultSelfSigned_ = defaultSelfSigned;
    verifyCertificate_ = certificateName;
  }
}

}  // namespace bh::secure
