#include "proxy/control/show_wan_secure.h"

#include <cstdio>

#include "common/text_column.h"
#include "proxy/control/reply.h"

namespace bh::proxy {

namespace {

using nlohmann::json;

std::string row(const std::string& name, uint64_t value) {
  return padRight(name + ":", 40) + std::to_string(value) + "\n";
}

json byReason(const std::map<std::string, uint64_t>& m) {
  json j = json::object();
  for (const auto& [k, v] : m) {
    j[k] = v;
  }
  return j;
}

}  // namespace

json showStatisticsWanSecure(const WanSecureStatsView& v) {
  const WanSecureTotals& t = v.totals;
  std::string o = "WAN secure statistics\n";
  o += padRight("State:", 40) +
       (v.available ? "Running" : "Not running (" + v.unavailableReason + ")") + "\n";
  o += row("Handshakes done", t.done);
  o += row("Handshakes resumed", t.resumed);
  o += row("Early data accepted (0-RTT)", t.earlyAccepted);
  o += row("Early data rejected, sent again", t.earlyRejected);
  o += row("Auto: legs secured (sealed flows)", t.autoSecured);
  o += row("Auto: legs left in clear", t.autoClear);
  o += row("Handshakes failed", t.failed);
  for (const auto& [name, n] : t.failedBy) {
    o += row("  " + name, n);
  }
  o += row("Flows handed off without WAN secure", t.handedOff);
  o += row("Bytes sealed", t.bytesSealed);
  o += row("Bytes opened", t.bytesOpened);
  json ocsp = nullptr;
  if (v.ocsp) {
    const OcspStatsView& c = *v.ocsp;
    o += padRight("OCSP responder:", 40) + c.responder + " (timeout " +
         std::to_string(c.timeoutMs) + " ms, " + c.unreachable + ")\n";
    o += row("OCSP checks", c.checks);
    o += row("  answered from the cache", c.cacheHits);
    o += row("  joined a request under way", c.coalesced);
    o += row("  refused over the caps", c.overCap);
    o += row("OCSP requests to responders", c.requests);
    o += row("OCSP answers cached now", c.cachedAnswers);
    ocsp = {{"responder", c.responder},     {"timeout_ms", c.timeoutMs},
            {"unreachable", c.unreachable}, {"checks", c.checks},
            {"cache_hits", c.cacheHits},    {"coalesced", c.coalesced},
            {"over_cap", c.overCap},        {"requests", c.requests},
            {"connections", c.connections}, {"cached_answers", c.cachedAnswers}};
  }
  json peers = json::array();
  if (!v.peers.empty()) {
    o += "\nPeer                   Done      Resumed   Failed    Consecutive  Last failure\n";
    o += "----                   ----      -------   ------    -----------  ------------\n";
    for (const auto& [peer, p] : v.peers) {
      o += padRight(peer, 23) + padRight(std::to_string(p.done), 10) +
           padRight(std::to_string(p.resumed), 10) + padRight(std::to_string(p.failed), 10) +
           padRight(std::to_string(p.consecutiveFailures), 13) +
           (p.lastFailure.empty() ? "-" : p.lastFailure) + "\n";
      peers.push_back({{"peer", peer},
                       {"done", p.done},
                       {"resumed", p.resumed},
                       {"failed", p.failed},
                       {"failed_by_reason", byReason(p.failedBy)},
                       {"consecutive_failures", p.consecutiveFailures},
                       {"last_failure", p.lastFailure}});
    }
  }
  json j = {{"state", v.available ? "running" : "not running"},
            {"unavailable_reason", v.available ? "" : v.unavailableReason},
            {"handshakes_done", t.done},
            {"handshakes_resumed", t.resumed},
            {"early_data_accepted", t.earlyAccepted},
            {"early_data_rejected", t.earlyRejected},
            {"auto_secured", t.autoSecured},
            {"auto_clear", t.autoClear},
            {"handshakes_failed", t.failed},
            {"failed_by_reason", byReason(t.failedBy)},
            {"handed_off", t.handedOff},
            {"bytes_sealed", t.bytesSealed},
            {"bytes_opened", t.bytesOpened},
            {"ocsp", ocsp},
            {"peers", peers}};
  return replyOk(o, j);
}

json showCryptoCertificates(const std::vector<CertificateRow>& rows) {
  std::string o;
  json arr = json::array();
  for (const CertificateRow& r : rows) {
    std::string ocsp = r.ocspStatus;
    if (r.ocspAgeSeconds) {
      ocsp += " (" + std::to_string(*r.ocspAgeSeconds) + " s ago)";
    }
    o += "Certificate: " + r.owner + "\n";
    o += "  Subject:     " + r.subject + "\n";
    o += "  Issuer:      " + r.issuer + "\n";
    o += "  Not before:  " + r.notBefore + "\n";
    o += "  Not after:   " + r.notAfter + "\n";
    o += std::string("  Self-signed: ") +
         (r.defaultSelfSigned ? "yes (the default peering certificate)" : "no") + "\n";
    o += "  OCSP:        " + ocsp + "\n";
    json c = {{"owner", r.owner},
              {"subject", r.subject},
              {"issuer", r.issuer},
              {"not_before", r.notBefore},
              {"not_after", r.notAfter},
              {"default_self_signed", r.defaultSelfSigned},
              {"ocsp_status", r.ocspStatus},
              {"ocsp_age_seconds", r.ocspAgeSeconds ? json(*r.ocspAgeSeconds) : json(nullptr)}};
    arr.push_back(c);
  }
  if (rows.empty()) {
    o = "No certificates (WAN secure not in use: no class is `always`)\n";
  }
  return replyOk(o, {{"certificates", arr}});
}

json showSecureStore(const SecureStoreRow& s) {
  std::string o = "Secure store\n";
  o += padRight("Path:", 16) + s.path + "\n";
  o += padRight("State:", 16) + s.state + "\n";
  if (!s.reason.empty()) {
    o += padRight("Reason:", 16) + s.reason + "\n";
  }
  o += padRight("Key source:", 16) + (s.keySource.empty() ? "-" : s.keySource) + "\n";
  if (!s.inUse) {
    o += "(not opened: WAN secure is `always` for no class)\n";
  }
  return replyOk(o, {{"path", s.path},
                     {"state", s.state},
                     {"reason", s.reason},
                     {"key_source", s.keySource},
                     {"in_use", s.inUse}});
}

std::string wanSecureTableText(const WanSecureTableView& v) {
  auto line = [](const std::string& item, bool user, const std::string& value) {
    return padRight(item, 29) + padRight(user ? "User" : "Default", 10) + value + "\n";
  };
  std::string o = "WAN Secure:\n";
  o += "Accelerator Config Item      Mode      Value\n";
  o += "-----------------------      ----      -----\n";
  o += line("SSL AO", v.sslAoUser, v.sslAo ? "enabled" : "disabled");
  o += line("Secure store", v.sslAoUser, v.secureStoreOpen ? "enabled" : "disabled");
  o += line("Peer SSL version", v.peerSslVersionUser, v.peerSslVersion);
  o += line("Peer cipher list", v.peerCipherListUser, v.peerCipherList);
  o += line("Peer cert", v.peerCertUser, v.peerCert);
  o += line("Peer cert verify", v.peerCertVerifyUser, v.peerCertVerify ? "enabled" : "disabled");
  o += line("Mapi Wan-secure mode", true, v.mapiMode);
  return o;
}

json wanSecureTableJson(const WanSecureTableView& v) {
  return {{"ssl_ao", v.sslAo ? "enabled" : "disabled"},
          {"secure_store", v.secureStoreOpen ? "enabled" : "disabled"},
          {"peer_ssl_version", v.peerSslVersion},
          {"peer_cipher_list", v.peerCipherList},
          {"peer_cert", v.peerCert},
          {"peer_cert_verify", v.peerCertVerify ? "enabled" : "disabled"},
          {"mapi_wan_secure_mode", v.mapiMode}};
}

}  // namespace bh::proxy
