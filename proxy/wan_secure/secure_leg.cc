#include "proxy/wan_secure/secure_leg.h"

#include <openssl/x509_vfy.h>

namespace bh::proxy {

namespace {

// The issuer of `leaf` among the context's trust anchors (the CA bundle). The CertID of an OCSP
// request hashes the issuer's name and key (RFC 6960 section 4.1.1); an intermediate CA must
// therefore be in the CA bundle for its certificates' revocation to be checked.
secure::X509Ptr issuerOf(secure::TlsContext& context, X509* leaf) {
  X509_STORE* store = SSL_CTX_get_cert_store(context.native());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509* issuer = nullptr;
  if (ctx != nullptr && store != nullptr && X509_STORE_CTX_init(ctx, store, leaf, nullptr) == 1) {
    if (X509_STORE_CTX_get1_issuer(&issuer, ctx, leaf) != 1) {
      issuer = nullptr;
    }
  }
  X509_STORE_CTX_free(ctx);
  return secure::X509Ptr(issuer);
}

}  // namespace

const char* SecureLeg::phaseName(Phase p) {
  switch (p) {
    case Phase::Handshaking:
      return "handshaking";
    case Phase::CheckingRevocation:
      return "checking-revocation";
    case Phase::Open:
      return "open";
    case Phase::Closed:
      return "closed";
    case Phase::Failed:
      return "failed";
  }
  return "failed";
}

secure::Outcome<std::unique_ptr<SecureLeg>> SecureLeg::create(secure::TlsContext& context,
                                                              const std::string& peer,
                                                              RevocationChecker* checker,
                                                              Settings settings) {
  using R = secure::Outcome<std::unique_ptr<SecureLeg>>;
  auto session = secure::TlsSession::create(context, peer);
  if (!session) {
    return R::failure(session.error());
  }
  std::unique_ptr<SecureLeg> leg(new SecureLeg(std::move(session).value(), checker, settings));
  if (leg->session_->earlyDataRoom() == 0) {
    leg->drainCiphertext();  // a client's ClientHello is ready at once
  }                          // else it leaves with the first early bytes (send())
  return R::success(std::move(leg));
}

SecureLeg::~SecureLeg() = default;

SecureLeg::Phase SecureLeg::receive(ByteSpan ciphertext, Bytes& plain) {
  if (phase_ == Phase::Failed || phase_ == Phase::Closed) {
    return phase_;
  }
  session_->receive(ciphertext);
  advance(&plain);
  return phase_;
}

SecureLeg::Phase SecureLeg::receiveEnd() {
  if (phase_ == Phase::Failed || phase_ == Phase::Closed) {
    return phase_;
  }
  session_->receiveEnd();
  advance(nullptr);
  return phase_;
}

void SecureLeg::advance(Bytes* plain) {
  drainCiphertext();
  switch (session_->state()) {
    case secure::TlsState::Failed:
      takeFailureFromSession();
      return;
    case secure::TlsState::Closed:
      if (phase_ == Phase::Open && plain != nullptr) {
        Bytes p = session_->takePlaintext();
        bytesOpened_ += p.size();
        plain->insert(plain->end(), p.begin(), p.end());
      }
      if (phase_ != Phase::Open) {
        // close_notify before this leg was usable: the peer gave up on it.
        fail(secure::TlsFailure::PeerAlert, "peer closed the leg during the handshake");
        return;
      }
      phase_ = Phase::Closed;
      return;
    case secure::TlsState::Handshaking:
      if (!session_->earlyDataOpen()) {
        return;
      }
      break;  // a server with the client's accepted early data: it may be read now
    case secure::TlsState::Established:
      break;
  }
  if (phase_ == Phase::Handshaking) {
    if (settings_.checkRevocation) {
      startRevocationCheck();
      if (phase_ != Phase::Open) {
        return;  // failed, or the verdict comes later (onVerdict)
      }
    } else {
      phase_ = Phase::Open;
      sealHeld();
    }
  }
  if (phase_ == Phase::Open && !held_.empty() && session_->writable()) {
    sealHeld();  // held while the session could not write (between early data and Finished)
  }
  if (phase_ == Phase::Open && plain != nullptr) {
    Bytes p = session_->takePlaintext();
    bytesOpened_ += p.size();
    if (plain->empty()) {
      plain->swap(p);  // no copy: the common case, one read's plaintext
    } else {
      plain->insert(plain->end(), p.begin(), p.end());
    }
    drainCiphertext();  // taking plaintext may open more records (and e.g. answer a KeyUpdate)
    if (session_->state() == secure::TlsState::Failed) {
      takeFailureFromSession();
    }
  }
}

void SecureLeg::startRevocationCheck() {
  X509* leaf = session_->peerCertificate();
  if (leaf == nullptr) {
    fail(secure::TlsFailure::NoPeerCertificate, "no peer certificate to check for revocation");
    return;
  }
  if (checker_ == nullptr) {
    fail(secure::TlsFailure::RevocationUnknown, "no OCSP transport");
    return;
  }
  secure::X509Ptr issuer = issuerOf(session_->context(), leaf);
  if (!issuer) {
    fail(secure::TlsFailure::RevocationUnknown,
         "the issuer of the peer certificate is not in the CA bundle (needed for OCSP)");
    return;
  }
  phase_ = Phase::CheckingRevocation;
  inCheck_ = true;
  pendingCheck_ =
      checker_->check(leaf, issuer.get(), [this](const secure::OcspVerdict& v) { onVerdict(v); });
  inCheck_ = false;
}

void SecureLeg::onVerdict(const secure::OcspVerdict& verdict) {
  if (phase_ != Phase::CheckingRevocation) {
    return;
  }
  verdict_ = verdict;
  if (!verdict.accept) {
    fail(verdict.failure == secure::TlsFailure::None ? secure::TlsFailure::RevocationUnknown
                                                     : verdict.failure,
         verdict.detail);
  } else {
    phase_ = Phase::Open;
    sealHeld();
  }
  // An answer from the cache arrives inside check(): receive() goes on from there itself. The
  // Pending stays until the leg goes (destroying it inside its own callback is not ours to do).
  if (!inCheck_) {
    if (onChange_) {
      onChange_();
    }
  }
}

bool SecureLeg::send(ByteSpan plaintext) {
  if (phase_ == Phase::Failed || phase_ == Phase::Closed) {
    return false;
  }
  if (phase_ != Phase::Open && held_.empty() && session_->earlyDataRoom() > 0) {
    // 0-RTT: the flow's first bytes leave with the ClientHello (secure/README.md).
    size_t n = session_->writeEarly(plaintext);
    drainCiphertext();
    if (session_->state() == secure::TlsState::Failed) {
      takeFailureFromSession();
      return false;
    }
    bytesSealed_ += n;
    plaintext = plaintext.subspan(n);
    if (plaintext.empty()) {
      return true;
    }
  }
  if (phase_ != Phase::Open || !session_->writable()) {
    if (plaintext.size() > settings_.maxHeldPlaintext - held_.size()) {
      fail(secure::TlsFailure::BufferCapExceeded, "more than " +
                                                      std::to_string(settings_.maxHeldPlaintext) +
                                                      " plaintext bytes before the leg opened");
      return false;
    }
    held_.insert(held_.end(), plaintext.begin(), plaintext.end());
    return true;
  }
  // TlsSession takes at most its maxCiphertextOut at a time: take the sealed bytes out after
  // each piece, so the whole of `plaintext` is sealed now (the flow's own back-pressure bounds
  // how much it hands over).
  while (!plaintext.empty()) {
    size_t n = session_->write(plaintext);
    drainCiphertext();
    if (n == 0) {
      if (session_->state() == secure::TlsState::Failed) {
        takeFailureFromSession();
      } else {
        fail(secure::TlsFailure::Internal, "the TLS session took no plaintext");
      }
      return false;
    }
    bytesSealed_ += n;
    plaintext = plaintext.subspan(n);
  }
  return true;
}

size_t SecureLeg::earlyRoom() const {
  return phase_ == Phase::Handshaking && held_.empty() ? session_->earlyDataRoom() : 0;
}

void SecureLeg::sealHeld() {
  if (held_.empty()) {
    return;
  }
  Bytes held = std::move(held_);
  held_.clear();
  send(held);
}

void SecureLeg::drainCiphertext() {
  Bytes c = session_->takeCiphertext();
  if (cipherOut_.empty()) {
    cipherOut_ = std::move(c);
  } else {
    cipherOut_.insert(cipherOut_.end(), c.begin(), c.end());
  }
}

Bytes SecureLeg::takeCiphertext() {
  drainCiphertext();
  Bytes out = std::move(cipherOut_);
  cipherOut_.clear();
  return out;
}

void SecureLeg::close() {
  if (phase_ == Phase::Open || phase_ == Phase::Closed) {
    session_->close();
    drainCiphertext();
  }
}

void SecureLeg::fail(secure::TlsFailure reason, const std::string& detail) {
  if (phase_ == Phase::Failed) {
    return;
  }
  session_->fail(reason, detail);
  takeFailureFromSession();
}

void SecureLeg::takeFailureFromSession() {
  phase_ = Phase::Failed;
  failure_ = session_->failure();
  failureText_ = session_->failureText();
  held_.clear();
  drainCiphertext();  // an alert OpenSSL queued goes to the peer
}

size_t SecureLeg::bufferedBytes() const {
  return held_.size() + cipherOut_.size() + session_->pendingCiphertextOut() +
         session_->pendingPlaintextIn();
}

}  // namespace bh::proxy
