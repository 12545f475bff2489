#include "secure/tls_context.h"

#include <openssl/err.h>

#include "secure/certificate_name.h"
#include "secure/psk_offer.h"
#include "secure/tls_session.h"

namespace bh::secure {

namespace {

TlsSession* sessionOf(SSL* ssl) {
  return static_cast<TlsSession*>(SSL_get_app_data(ssl));
}

// Records the first chain error on the session so its failure names the cause (expired, unknown
// CA, the default self-signed certificate) rather than OpenSSL's "certificate verify failed".
int verifyCallback(int preverifyOk, X509_STORE_CTX* store) {
  if (preverifyOk == 1) {
    return 1;
  }
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  // With peer_cert_verify off OpenSSL still checks the chain and goes on whatever we return;
  // such an error is no reason for a later failure.
  if (ssl == nullptr || (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) == 0) {
    return 0;
  }
  if (TlsSession* s = sessionOf(ssl)) {
    // Named by the peer's own certificate (the one to replace), and by the chain's certificate
    // the error concerns when that is another (an untrusted root, an expired intermediate).
    X509* cert = X509_STORE_CTX_get_current_cert(store);
    X509* leaf = X509_STORE_CTX_get0_cert(store);
    std::string name = certificateNameOf(leaf != nullptr ? leaf : cert);
    if (leaf != nullptr && cert != nullptr && X509_cmp(leaf, cert) != 0) {
      name += ", at " + certificateNameOf(cert);
    }
    s->noteVerifyError(X509_STORE_CTX_get_error(store), isDefaultSelfSigned(cert), name);
  }
  return 0;
}

// RFC 8446 section 4.6.1: NewSessionTicket arrives after the handshake; the client keeps it for
// the next connection to the same peer. It keeps a copy: SSL_free of a connection that ended
// without close_notify marks the connection's own session not resumable, and a peer leg reset
// by the proxy must not cost the next flow its resumption.
int newSessionCallback(SSL* ssl, SSL_SESSION* ticket) {
  TlsSession* s = sessionOf(ssl);
  if (s != nullptr) {
    s->noteTicket();
  }
  if (s != nullptr && SSL_SESSION_is_resumable(ticket) == 1) {
    if (SSL_SESSION* copy = SSL_SESSION_dup(ticket)) {
      s->context().keepTicket(s->peer(), SslSessionPtr(copy));
    }
  }
  return 0;
}

// RFC 8446 section 8.2: a ClientHello that offers early data with a ticket whose early data this
// process already accepted is a replay (our edges use each ticket once). It fails, rather than
// having its early data rejected, so the client does not send those bytes again after a
// handshake an attacker relays (secure/README.md "Resumption and early data").
int clientHelloCallback(SSL* ssl, int* alert, void* arg) {
  auto* context = static_cast<TlsContext*>(arg);
  const unsigned char* early = nullptr;
  const unsigned char* psk = nullptr;
  size_t earlyLen = 0;
  size_t pskLen = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_early_data, &early, &earlyLen) != 1 ||
      SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_psk, &psk, &pskLen) != 1) {
    return SSL_CLIENT_HELLO_SUCCESS;
  }
  std::vector<ByteSpan> ids;
  if (!parseOfferedPskIdentities(ByteSpan(psk, pskLen), ids).ok()) {
    return SSL_CLIENT_HELLO_SUCCESS;  // OpenSSL's own parser refuses it, with its alert
  }
  for (ByteSpan id : ids) {
    if (context->spent(id)) {
      if (TlsSession* s = sessionOf(ssl)) {
        s->fail(TlsFailure::EarlyDataReplay,
                "a ClientHello offered early data with a ticket already spent");
      }
      *alert = SSL_AD_ILLEGAL_PARAMETER;
      return SSL_CLIENT_HELLO_ERROR;
    }
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

}  // namespace

Outcome<std::unique_ptr<TlsContext>> TlsContext::create(TlsRole role, const TlsConfig& config,
                                                        const PeeringIdentity& identity) {
  using R = Outcome<std::unique_ptr<TlsContext>>;
  std::unique_ptr<TlsContext> c(new TlsContext(role, config));
  c->ctx_.reset(SSL_CTX_new(role == TlsRole::Client ? TLS_client_method() : TLS_server_method()));
  SSL_CTX* ctx = c->ctx_.get();
  if (ctx == nullptr) {
    return R::failure("tls context: " + takeOpenSslError());
  }
  if (SSL_CTX_set_min_proto_version(ctx, config.minVersion) != 1) {
    return R::failure("tls context: minimum version refused: " + takeOpenSslError());
  }
  if (SSL_CTX_set_ciphersuites(ctx, config.ciphersuites.c_str()) != 1) {
    return R::failure("tls context: ciphersuites refused: " + takeOpenSslError());
  }
  if (config.minVersion < TLS1_3_VERSION &&
      SSL_CTX_set_cipher_list(ctx, config.cipherList.c_str()) != 1) {
    return R::failure("tls context: cipher list refused: " + takeOpenSslError());
  }
  if (SSL_CTX_use_certificate(ctx, identity.certificate.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, identity.privateKey.get()) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    return R::failure("tls context: peering identity refused: " + takeOpenSslError());
  }
  for (const auto& x : identity.chain) {
    if (SSL_CTX_add1_chain_cert(ctx, x.get()) != 1) {
      return R::failure("tls context: chain refused: " + takeOpenSslError());
    }
  }
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const auto& x : identity.trustAnchors) {
    if (X509_STORE_add_cert(store, x.get()) != 1) {
      return R::failure("tls context: CA bundle refused: " + takeOpenSslError());
    }
  }
  // Both ends present certificates; with peer_cert_verify the server asks for the client's and
  // refuses a connection without one (RFC 8446 section 4.3.2, certificate_required).
  int mode = SSL_VERIFY_NONE;
  if (config.peerCertVerify) {
    mode = SSL_VERIFY_PEER | (role == TlsRole::Server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
  }
  SSL_CTX_set_verify(ctx, mode, verifyCallback);
  if (role == TlsRole::Server) {
    static const unsigned char kSidContext[] = "bridgehead-peering";
    SSL_CTX_set_session_id_context(ctx, kSidContext, sizeof kSidContext - 1);
    // Several tickets per handshake, so an edge can resume that many simultaneous flows.
    SSL_CTX_set_num_tickets(ctx, config.ticketsPerHandshake);
    // 0-RTT (secure/README.md "Resumption and early data"): with max_early_data > 0 and
    // anti-replay on (never SSL_OP_NO_ANTI_REPLAY), OpenSSL issues stateful tickets kept in
    // this context's session cache and accepts early data only for a ticket it finds there,
    // removing it on use: each ticket carries early data once, and only to this process.
    SSL_CTX_clear_options(ctx, SSL_OP_NO_ANTI_REPLAY);
    SSL_CTX_set_max_early_data(ctx, static_cast<uint32_t>(config.maxEarlyData));
    SSL_CTX_set_recv_max_early_data(ctx, static_cast<uint32_t>(config.maxEarlyData));
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx, static_cast<long>(config.maxServerSessions));
    SSL_CTX_set_client_hello_cb(ctx, clientHelloCallback, c.get());
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, newSessionCallback);
  }
  return R::success(std::move(c));
}

SslSessionPtr TlsContext::takeTicket(const std::string& peer) {
  auto it = tickets_.find(peer);
  if (it == tickets_.end()) {
    return nullptr;
  }
  // The newest: the core's session cache drops its oldest tickets first.
  SslSessionPtr t = std::move(it->second.back());
  it->second.pop_back();
  if (it->second.empty()) {
    tickets_.erase(it);
    std::erase(ticketOrder_, peer);
  }
  return t;
}

size_t TlsContext::ticketCount() const {
  size_t n = 0;
  for (const auto& [peer, kept] : tickets_) {
    n += kept.size();
  }
  return n;
}

size_t TlsContext::ticketCount(const std::string& peer) const {
  auto it = tickets_.find(peer);
  return it == tickets_.end() ? 0 : it->second.size();
}

void TlsContext::noteSpent(ByteSpan identity) {
  std::string id(identity.begin(), identity.end());
  if (config_.maxServerSessions == 0 || !spent_.insert(id).second) {
    return;
  }
  spentOrder_.push_back(std::move(id));
  while (spentOrder_.size() > config_.maxServerSessions) {
    spent_.erase(spentOrder_.front());
    spentOrder_.pop_front();
  }
}

bool TlsContext::spent(ByteSpan identity) const {
  return spent_.count(std::string(identity.begin(), identity.end())) != 0;
}

void TlsContext::keepTicket(const std::string& peer, SslSessionPtr ticket) {
  if (config_.maxResumptionTickets == 0 || config_.maxTicketsPerPeer == 0) {
    return;
  }
  if (tickets_.count(peer) == 0) {
    while (tickets_.size() >= config_.maxResumptionTickets && !ticketOrder_.empty()) {
      tickets_.erase(ticketOrder_.front());
      ticketOrder_.pop_front();
    }
    ticketOrder_.push_back(peer);
  }
  std::deque<SslSessionPtr>& kept = tickets_[peer];
  kept.push_back(std::move(ticket));
  while (kept.size() > config_.maxTicketsPerPeer) {
    kept.pop_front();
  }
}

}  // namespace bh::secure
