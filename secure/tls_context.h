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
  size_t maxResumptionTickets = 1024;    ///< client: peers whose tickets are kept (oldest dropped)
  /// Client: tickets kept per peer (the newest; each used once), so that as many new flows to
  /// one peer at once each resume with 0-RTT early data (secure/README.md "Resumption and
  /// early data").
  size_t maxTicketsPerPeer = 8;
  /// Server: NewSessionTickets sent after each handshake, full or resumed (RFC 8446 section
  /// 4.6.1: several, "for example, to open multiple parallel HTTP connections").
  size_t ticketsPerHandshake = 4;
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
/// A client context keeps up to maxTicketsPerPeer resumption tickets per peer (RFC 8446 section
/// 4.6.1) so the next connections to that peer, simultaneous ones too, resume with a PSK (and
/// early data) instead of a full certificate handshake.
class TlsContext {
 public:
  static Outcome<std::unique_ptr<TlsContext>> create(TlsRole role, const TlsConfig& config,
                                                     const PeeringIdentity& identity);

  TlsRole role() const { return role_; }
  const TlsConfig& config() const { return config_; }
  SSL_CTX* native() const { return ctx_.get(); }

  /// Client: takes the newest ticket kept for `peer`, which is then no longer kept (tickets are
  /// used once, RFC 8446 section C.4); null when there is none.
  SslSessionPtr takeTicket(const std::string& peer);
  /// Client: keeps a ticket of `peer`: beyond maxTicketsPerPeer the peer's oldest goes, and a
  /// new peer beyond maxResumptionTickets drops the oldest peer's tickets.
  void keepTicket(const std::string& peer, SslSessionPtr ticket);
  /// Client: tickets kept, in all and for one peer; peers with tickets.
  size_t ticketCount() const;
  size_t ticketCount(const std::string& peer) const;
  size_t peerCount() const { return tickets_.size(); }

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
  std::map<std::string, std::deque<SslSessionPtr>> tickets_;  // per peer, oldest first
  std::deque<std::string> ticketOrder_;                       // peers, oldest first
  std::set<std::string> spent_;
  std::deque<std::string> spentOrder_;
};

}  // namespace bh::secure
