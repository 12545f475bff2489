#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "common/bytes.h"
#include "secure/openssl_ptr.h"
#include "secure/outcome.h"
#include "secure/peering_identity.h"

namespace bh::secure {

enum class TlsRole { Client, Server };

/// The peering TLS settings (the seed's "Peer SSL version", "Peer cipher list", "Peer cert
/// verify"). Defaults: TLS 1.3 only (RFC 8446), AEAD suites AES-GCM and ChaCha20-Poly1305.
struct TlsConfig {
  int minVersion = TLS1_3_VERSION;  ///< TLS1_2_VERSION allows 1.2 peers (then cipherList applies)
  /// TLS 1.3 suites, RFC 8446 section B.4 names (OpenSSL's SSL_CTX_set_ciphersuites syntax).
  std::string ciphersuites =
      "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
  /// TLS 1.2 ciphers, used only when minVersion allows 1.2 (ECDHE with AEAD only).
  std::string cipherList =
      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384:"
      "ECDHE-RSA-CHACHA20-POLY1305";
  bool peerCertVerify =
      false;  ///< verify the peer's chain against the CA bundle (WAAS default off)
  size_t maxCiphertextIn = 64 * 1024;    ///< ciphertext buffered before it is opened
  size_t maxPlaintextIn = 256 * 1024;    ///< opened bytes not yet taken by the proxy
  size_t maxCiphertextOut = 256 * 1024;  ///< sealed bytes not yet taken for the socket
  size_t maxResumptionTickets = 1024;    ///< client: peers whose ticket is kept (oldest dropped)
  /// Client: send the flow's first bytes as 0-RTT early data when the ticket allows it.
  bool earlyData = true;
  /// Server: early data accepted per connection (0: none; then tickets allow none). 16 KiB is
  /// one record: a flow's first request (secure/README.md "Resumption and early data").
  size_t maxEarlyData = 16384;
  /// Server: sessions kept in OpenSSL's session cache, where the single-use tickets of early
  /// data live (anti-replay, RFC 8446 section 8.1); the oldest go first beyond it.
  size_t maxServerSessions = 20480;
};

/// One SSL_CTX per role with the peering identity and settings; sessions are made from it.
/// A client context keeps one resumption ticket per peer (RFC 8446 section 4.6.1) so the next
/// connection to that peer resumes with a PSK instead of a full certificate handshake.
class TlsContext {
 public:
  static Outcome<std::unique_ptr<TlsContext>> create(TlsRole role, const TlsConfig& config,
                                                     const PeeringIdentity& identity);

  TlsRole role() const { return role_; }
  const TlsConfig& config() const { return config_; }
  SSL_CTX* native() const { return ctx_.get(); }

  /// Client: takes the ticket kept for `peer` (tickets are used once, RFC 8446 section C.4).
  SslSessionPtr takeTicket(const std::string& peer);
  /// Client: keeps the newest ticket of `peer`, dropping the oldest peer's beyond the cap.
  void keepTicket(const std::string& peer, SslSessionPtr ticket);
  size_t ticketCount() const { return tickets_.size(); }

  /// Server: the identity of a ticket whose early data was accepted; offered again with early
  /// data, the ClientHello fails (ClientHello recording, RFC 8446 section 8.2). The newest
  /// maxServerSessions identities are kept.
  void noteSpent(ByteSpan identity);
  bool spent(ByteSpan identity) const;
  size_t spentCount() const { return spent_.size(); }

 private:
  TlsContext(TlsRole role, const TlsConfig& config) : role_(role), config_(config) {}

  TlsRole role_;
  TlsConfig config_;
  SslCtxPtr ctx_;
  std::map<std::string, SslSessionPtr> tickets_;
  std::deque<std::string> ticketOrder_;
  std::set<std::string> spent_;
  std::deque<std::string> spentOrder_;
};

}  // namespace bh::secure
