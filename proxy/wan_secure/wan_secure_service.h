#pragma once

// WAN secure on this box: the secure store (opened at start), the peering identity, one TLS
// context per role (edge legs are TLS clients, core legs TLS servers), the RevocationChecker the
// box plugs in, and the counters. The flow manager asks it for each peer leg's SecureLeg.

#include <sys/types.h>

#include <ctime>
#include <map>
#include <memory>
#include <string>

#include "policy/config.h"
#include "proxy/wan_secure/revocation_checker.h"
#include "proxy/wan_secure/secure_leg.h"
#include "proxy/wan_secure/wan_secure_stats.h"
#include "secure/peering_identity.h"
#include "secure/secure_store.h"
#include "secure/tls_context.h"

namespace bh::proxy {

/// What `bhctl show secure-store` prints.
struct SecureStoreView {
  std::string path;
  std::string state;   ///< uninitialized / initialized / open / locked
  std::string reason;  ///< why locked (never key bytes)
  std::string keySource;
};

class WanSecureService {
 public:
  /// Opens (or, at first start, initializes) the store and loads the identity; makes the TLS
  /// contexts. `owner` is the daemon's user (the store directory's owner). Call as root before
  /// privileges are dropped: the store key file is root-only. On failure the reason is kept
  /// (unavailableReason()) and every leg that must be secured fails with it (the flows hand
  /// off, as for any other handshake failure).
  void start(const policy::WanSecureConfig& config, const std::string& hostname, uid_t owner,
             gid_t group);
  /// The settings a reload may change without a restart (modes); the identity and store stay.
  void setConfig(const policy::WanSecureConfig& config) { config_ = config; }
  const policy::WanSecureConfig& config() const { return config_; }

  /// The box's OCSP transport (nullptr: none; a leg that must check then fails RevocationUnknown
  /// "no OCSP transport", never silently accepting).
  void setRevocationChecker(RevocationChecker* checker) { checker_ = checker; }
  RevocationChecker* revocationChecker() const { return checker_; }

  /// The mode for flows handed to `which` (leg_security.h negotiates it with the peer's).
  policy::WanSecureMode mode(policy::Accelerator which) const { return config_.modeFor(which); }
  /// The mode this box can offer: `auto` while WAN secure is unavailable offers nothing
  /// (`never`, with `whyOff` saying why); `always` stays (its legs fail, named, and pass through).
  policy::WanSecureMode offeredMode(policy::Accelerator which, std::string* whyOff) const;
  bool available() const { return client_ != nullptr && server_ != nullptr; }
  const std::string& unavailableReason() const { return unavailable_; }

  /// A secure leg towards (edge: client) or from (core: server) `peer`.
  secure::Outcome<std::unique_ptr<SecureLeg>> makeLeg(bool client, const std::string& peer);

  WanSecureStats& stats() { return stats_; }
  const WanSecureStats& stats() const { return stats_; }
  SecureStoreView storeView() const;
  /// The store (other secrets live there too: the encryption service's key cache), or null
  /// before start().
  secure::SecureStore* store() { return store_.get(); }
  const secure::PeeringIdentity* identity() const { return identity_.get(); }
  /// The certificate each peer showed last and what OCSP said of it (show crypto certificates).
  struct PeerCertificate {
    secure::X509Ptr certificate;
    std::string ocspStatus = "not checked";
    time_t checkedAt = 0;  ///< when the verdict came (0: none)
  };
  const std::map<std::string, PeerCertificate>& peerCertificates() const { return peerCerts_; }
  void notePeerCertificate(const std::string& peer, const SecureLeg& leg);

 private:
  policy::WanSecureConfig config_;
  std::unique_ptr<secure::SecureStore> store_;
  std::string keySource_;
  std::unique_ptr<secure::PeeringIdentity> identity_;
  std::unique_ptr<secure::TlsContext> client_;
  std::unique_ptr<secure::TlsContext> server_;
  RevocationChecker* checker_ = nullptr;
  std::string unavailable_ = "not started";
  WanSecureStats stats_;
  std::map<std::string, PeerCertificate> peerCerts_;
};

}  // namespace bh::proxy
