#pragma once

// WAN secure's show commands, rendered from plain data (issue 16): `show statistics
// wan-secure` (handshakes done / resumed / failed by reason, per peer; bytes sealed and opened),
// `show crypto certificates` (subject, issuer, validity, OCSP status and age; never a key),
// `show secure-store` (the seed's "CMS secure store must be initialized and open") and the
// seed's "WAN Secure:" table of `show accelerator mapi`.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "proxy/wan_secure/wan_secure_stats.h"

namespace bh::proxy {

/// The OCSP transport's counters (proxy/wan_secure/ocsp_revocation_checker.h): what shows that
/// answers were fetched once and then served from the cache until their nextUpdate.
struct OcspStatsView {
  std::string responder;  ///< the configured URL, or "each certificate's AIA"
  uint64_t timeoutMs = 0;
  std::string unreachable;  ///< "fail_closed" / "fail_open"
  uint64_t checks = 0;
  uint64_t cacheHits = 0;
  uint64_t coalesced = 0;
  uint64_t requests = 0;
  uint64_t connections = 0;
  uint64_t overCap = 0;
  uint64_t cachedAnswers = 0;  ///< answers in the cache now (expired ones go at lookup)
};

struct WanSecureStatsView {
  bool available = false;
  std::string unavailableReason;  ///< when not available
  WanSecureTotals totals;         ///< bytes include the live flows'
  std::map<std::string, WanSecurePeerStats> peers;
  std::optional<OcspStatsView> ocsp;  ///< none: no OCSP transport (verify or OCSP off)
};
nlohmann::json showStatisticsWanSecure(const WanSecureStatsView& v);

struct CertificateRow {
  std::string owner;  ///< "local" or "peer <device id>"
  std::string subject;
  std::string issuer;
  std::string notBefore;  ///< "2026-12-05 16:57:50 UTC"
  std::string notAfter;
  bool defaultSelfSigned = false;
  std::string ocspStatus = "not checked";  ///< good / revoked / unknown / not checked
  std::optional<uint64_t> ocspAgeSeconds;
};
nlohmann::json showCryptoCertificates(const std::vector<CertificateRow>& rows);

struct SecureStoreRow {
  std::string path;
  std::string state;  ///< uninitialized / initialized / open / locked
  std::string reason;
  std::string keySource;
  bool inUse = false;  ///< a class is `auto` or `always` (otherwise the store is not opened)
};
nlohmann::json showSecureStore(const SecureStoreRow& s);

/// The seed's "WAN Secure:" table. Mode is "User" for a value set in the configuration,
/// "Default" otherwise.
struct WanSecureTableView {
  bool sslAo = false;  ///< WAN secure usable (store open or identity configured, contexts made)
  bool secureStoreOpen = false;
  std::string peerSslVersion = "default";  ///< "default" or "1.2"/"1.3"
  std::string peerCipherList = "default";
  std::string peerCert = "default";  ///< "default" (self-signed from the store) or the file
  bool peerCertVerify = false;
  bool sslAoUser = false, peerSslVersionUser = false, peerCipherListUser = false,
       peerCertUser = false, peerCertVerifyUser = false;
  std::string mapiMode = "auto";
};
std::string wanSecureTableText(const WanSecureTableView& v);
nlohmann::json wanSecureTableJson(const WanSecureTableView& v);

}  // namespace bh::proxy
