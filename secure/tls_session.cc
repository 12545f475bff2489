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
  BIO* io = newTransportBio(s->io_);
  if (!s->ssl_ || io == nullptr) {
    BIO_free(io);
    return R::failure("tls session: " + takeOpenSslError());
  }
  SSL_set_bio(s->ssl_.get(), io, io);  // one BIO both ways: one reference taken
  SSL_set_app_data(s->ssl_.get(), s.get());
  if (context.role() == TlsRole::Client) {
    SSL_set_connect_state(s->ssl_.get());
    if (SslSessionPtr ticket = context.takeTicket(peer)) {
      SSL_set_session(s->ssl_.get(), ticket.get());  // takes its own reference
      // A ticket that allows early data: the ClientHello waits for the first early bytes, so
      // they leave together (RFC 8446 section 2.3).
      size_t allowed = SSL_SESSION_get_max_early_data(ticket.get());
      if (allowed > 0 && context.config().earlyData) {
        s->earlyWindow_ = true;
        s->helloSent_ = false;
        s->earlyBudget_ = allowed;
      }
    }
  } else {
    SSL_set_accept_state(s->ssl_.get());
    s->earlyReading_ = context.config().maxEarlyData > 0;
  }
  if (s->helloSent_) {
    s->advance();  // a client's ClientHello is ready at once
  }
  return R::success(std::move(s));
}

TlsSession::~TlsSession() {
  if (ssl_) {
    SSL_set_app_data(ssl_.get(), nullptr);
    if (context_.role() == TlsRole::Server && state_ != TlsState::Failed &&
        state_ != TlsState::Handshaking) {
      // SSL_free of a connection that sent no close_notify removes its session from the cache,
      // and with it the stateful ticket this connection issued (the one early data needs): a
      // leg the proxy resets after a good handshake must not cost the edge its next 0-RTT.
      SSL_set_shutdown(ssl_.get(), SSL_get_shutdown(ssl_.get()) | SSL_SENT_SHUTDOWN);
    }
  }
  ssl_.reset();  // before io_, which its BIO reads and writes
}

TlsState TlsSession::receive(ByteSpan ciphertext) {
  if (state_ == TlsState::Failed || state_ == TlsState::Closed) {
    return state_;
  }
  // The peer's first bytes end the early window: what comes later waits for the handshake.
  earlyWindow_ = false;
  io_.lent = ciphertext;
  advance();
  if (state_ == TlsState::Failed || state_ == TlsState::Closed) {
    io_.lent = {};  // nothing after a failure or close_notify is read
    return state_;
  }
  // What TLS did not read (no plaintext room) is kept, within the cap.
  const size_t cap = context_.config().maxCiphertextIn;
  if (io_.unread() > cap) {
    io_.lent = {};
    fail(TlsFailure::BufferCapExceeded,
         "more than " + std::to_string(cap) + " unopened ciphertext bytes");
    return state_;
  }
  io_.keepLent();
  return state_;
}

TlsState TlsSession::receiveEnd() {
  if (state_ == TlsState::Failed || state_ == TlsState::Closed) {
    return state_;
  }
  io_.eof = true;
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
    if (!helloSent_) {
      return;  // nothing can come before our ClientHello
    }
    if (earlyReading_ && !readEarlyData()) {
      return;
    }
    ERR_clear_error();
    int r = SSL_do_handshake(ssl);
    if (r != 1) {
      failFromOpenSsl(SSL_get_error(ssl, r));
      return;
    }
    state_ = TlsState::Established;
    resumed_ = SSL_session_reused(ssl) == 1;
    settleEarlyData();
  }
  openRecords();
}

bool TlsSession::readEarlyData() {
  // SSL_read_early_data(3): called instead of the handshake until it reports the end of the
  // early data (EndOfEarlyData, or none sent, or rejected); OpenSSL's anti-replay accepts early
  // data only with a ticket found in the server's session cache and removes it on use.
  SSL* ssl = ssl_.get();
  const size_t cap = context_.config().maxPlaintextIn;
  while (plaintextIn_.size() < cap) {
    size_t old = plaintextIn_.size();
    size_t room = std::min<size_t>(16384, cap - old);
    plaintextIn_.resize(old + room);
    size_t n = 0;
    ERR_clear_error();
    int r = SSL_read_early_data(ssl, plaintextIn_.data() + old, room, &n);
    plaintextIn_.resize(old + (r == SSL_READ_EARLY_DATA_SUCCESS ? n : 0));
    if (r == SSL_READ_EARLY_DATA_SUCCESS) {
      if (earlyData_ != EarlyData::Accepted) {
        // Its ticket is spent: offered again with early data, the ClientHello fails.
        unsigned int idLen = 0;
        const unsigned char* id = SSL_SESSION_get_id(SSL_get0_session(ssl), &idLen);
        context_.noteSpent(ByteSpan(id, idLen));
      }
      earlyData_ = EarlyData::Accepted;
      resumed_ = true;  // early data comes only with a resumed ticket
      continue;
    }
    if (r == SSL_READ_EARLY_DATA_FINISH) {
      earlyReading_ = false;
      if (SSL_get_early_data_status(ssl) == SSL_EARLY_DATA_ACCEPTED) {
        earlyData_ = EarlyData::Accepted;
      } else if (earlyData_ == EarlyData::None &&
                 SSL_get_early_data_status(ssl) == SSL_EARLY_DATA_REJECTED) {
        earlyData_ = EarlyData::Rejected;
      }
      return true;
    }
    failFromOpenSsl(SSL_get_error(ssl, r));
    return false;
  }
  return false;  // no room for more early plaintext: the rest waits, sealed
}

void TlsSession::settleEarlyData() {
  if (context_.role() != TlsRole::Client || earlyCopy_.empty()) {
    earlyCopy_ = Bytes();
    return;
  }
  if (SSL_get_early_data_status(ssl_.get()) == SSL_EARLY_DATA_ACCEPTED) {
    earlyData_ = EarlyData::Accepted;
    earlyCopy_ = Bytes();
    return;
  }
  // Rejected (RFC 8446 section 4.2.10: the server skipped it): the same bytes again, first.
  earlyData_ = EarlyData::Rejected;
  Bytes again = std::move(earlyCopy_);
  earlyCopy_ = Bytes();
  size_t written = 0;
  ERR_clear_error();
  if (SSL_write_ex(ssl_.get(), again.data(), again.size(), &written) != 1 ||
      written != again.size()) {
    fail(TlsFailure::Internal, "rejected early data could not be sent again");
  }
}

void TlsSession::openRecords() {
  SSL* ssl = ssl_.get();
  // Open records while the proxy has room for their plaintext; what does not fit stays sealed
  // (kept by receive(), within maxCiphertextIn), which is the back-pressure. Opened straight
  // into plaintextIn_, reserved for what may come, so no byte is copied twice.
  const size_t cap = context_.config().maxPlaintextIn;
  if (state_ == TlsState::Established && plaintextIn_.size() < cap) {
    plaintextIn_.reserve(std::min(cap, plaintextIn_.size() + io_.unread() + 16384 + 256));
  }
  while (state_ == TlsState::Established && plaintextIn_.size() < cap) {
    size_t old = plaintextIn_.size();
    size_t room = std::min<size_t>(16384, cap - old);
    plaintextIn_.resize(old + room);
    size_t n = 0;
    ERR_clear_error();
    int ok = SSL_read_ex(ssl, plaintextIn_.data() + old, room, &n);
    plaintextIn_.resize(old + (ok == 1 ? n : 0));
    if (ok == 1) {
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

size_t TlsSession::earlyDataRoom() const {
  if (!earlyWindow_ || state_ != TlsState::Handshaking) {
    return 0;
  }
  return earlyBudget_ - std::min(earlyBudget_, earlyCopy_.size());
}

size_t TlsSession::writeEarly(ByteSpan plaintext) {
  size_t take = std::min(plaintext.size(), earlyDataRoom());
  if (take == 0) {
    return 0;
  }
  size_t written = 0;
  ERR_clear_error();
  if (SSL_write_early_data(ssl_.get(), plaintext.data(), take, &written) != 1) {
    earlyWindow_ = false;
    failFromOpenSsl(SSL_get_error(ssl_.get(), 0));
    if (!helloSent_ && state_ == TlsState::Handshaking) {
      helloSent_ = true;
      advance();  // no early data after all: an ordinary ClientHello
    }
    return 0;
  }
  helloSent_ = true;
  earlyCopy_.insert(earlyCopy_.end(), plaintext.begin(), plaintext.begin() + written);
  return written;
}

bool TlsSession::earlyDataOpen() const {
  return context_.role() == TlsRole::Server && state_ == TlsState::Handshaking && earlyReading_ &&
         earlyData_ == EarlyData::Accepted;
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
  const bool halfRtt = earlyDataOpen();
  if ((state_ != TlsState::Established && !halfRtt) || plaintext.empty()) {
    return 0;
  }
  size_t cap = context_.config().maxCiphertextOut;
  size_t pending = io_.out.size();
  if (pending >= cap) {
    return 0;
  }
  // Sealing adds at most 22 bytes per record of up to 2^14 bytes (RFC 8446 section 5.2).
  size_t room = cap - pending;
  size_t take = std::min(plaintext.size(), room - std::min(room, (room / 16384 + 1) * 22));
  if (take == 0) {
    return 0;
  }
  // The records are appended to io_.out: room for them all at once, so none is moved again.
  io_.out.reserve(pending + take + (take / 16384 + 1) * 22);
  size_t written = 0;
  ERR_clear_error();
  // A server may answer accepted early data before the client's Finished (0.5-RTT data,
  // RFC 8446 section 2.3): SSL_write_early_data is OpenSSL's way to write then.
  int ok = halfRtt ? SSL_write_early_data(ssl_.get(), plaintext.data(), take, &written)
                   : SSL_write_ex(ssl_.get(), plaintext.data(), take, &written);
  if (ok != 1) {
    failFromOpenSsl(SSL_get_error(ssl_.get(), 0));
    return 0;
  }
  return written;
}

bool TlsSession::awaitingTicket() const {
  const TlsConfig& c = context_.config();
  return context_.role() == TlsRole::Client && state_ == TlsState::Established &&
         ticketsReceived_ == 0 && c.maxTicketsPerPeer > 0 && c.maxResumptionTickets > 0;
}

void TlsSession::close() {
  if (state_ == TlsState::Established || state_ == TlsState::Closed) {
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }
}

Bytes TlsSession::takeCiphertext() {
  if (!helloSent_ && state_ == TlsState::Handshaking) {
    // The ClientHello waited for early bytes and none came: it goes without them.
    helloSent_ = true;
    earlyWindow_ = false;
    advance();
  }
  Bytes out;
  out.swap(io_.out);
  return out;
}

Bytes TlsSession::takePlaintext() {
  Bytes out;
  out.swap(plaintextIn_);
  advance();
  return out;
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
