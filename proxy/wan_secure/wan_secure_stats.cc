#include "proxy/wan_secure/wan_secure_stats.h"

namespace bh::proxy {

FailureAdvice adviceFor(const std::string& name, const std::string& detail) {
  if (name == "peer-default-self-signed") {
    return {"peer certificate is the default self-signed one and peer-cert-verify is on",
            "install a certificate from your CA on the peer (wan_secure.identity) or turn "
            "peer_cert_verify off on both ends"};
  }
  if (name == "unknown-ca") {
    return {
        "peer certificate does not chain to this box's wan_secure.ca_bundle (on either end: "
        "a peer refusing ours is named the same; a default self-signed certificate refused "
        "by a verifying peer arrives as unknown-ca too)",
        "give both ends certificates from one CA and that CA in ca_bundle, or turn "
        "peer_cert_verify off on both ends"};
  }
  if (name == "certificate-expired") {
    return {"a peer certificate is expired or not yet valid",
            "renew the certificate; check both boxes' clocks"};
  }
  if (name == "certificate-revoked") {
    // The detail names the certificate and the responder: "certificate \"CN=core,O=bhlab\"
    // (serial 0x1002) revoked (OCSP, http://10.91.4.2:8888/)" (secure/ocsp_check.cc).
    return {"peer " + detail,
            "issue the peer a new certificate; until then its flows go on without WAN secure"};
  }
  if (name == "revocation-unknown") {
    return {"revocation status unknown (" + detail +
                ") and wan_secure.ocsp.unreachable is "
                "fail_closed",
            "make the OCSP responder reachable (wan_secure.ocsp.url or the certificate's AIA) "
            "or set ocsp.unreachable to fail_open"};
  }
  if (name == "protocol-version-mismatch") {
    return {"no TLS version both ends allow", "set the same wan_secure.min_version on both ends"};
  }
  if (name == "cipher-mismatch") {
    return {"no cipher suite both ends allow", "set the same wan_secure.ciphers on both ends"};
  }
  if (name == "no-peer-certificate") {
    return {"peer sent no certificate while peer-cert-verify is on",
            "give the peer a certificate (wan_secure.identity)"};
  }
  if (name == kModeMismatch) {
    return {"the two ends' wan_secure.mode for this class differ",
            "set the same wan_secure.mode on both ends"};
  }
  return {name + (detail.empty() ? "" : " (" + detail + ")"),
          "check the WAN path between the boxes (show statistics wan-secure)"};
}

WanSecurePeerStats& WanSecureStats::peerStats(const std::string& peer) {
  auto it = peers_.find(peer);
  if (it != peers_.end()) {
    return it->second;
  }
  if (peers_.size() >= kMaxPeers) {
    return peers_["other"];
  }
  return peers_[peer];
}

void WanSecureStats::handshakeDone(const std::string& peer, bool resumed) {
  WanSecurePeerStats& p = peerStats(peer);
  ++p.done;
  ++totals_.done;
  if (resumed) {
    ++p.resumed;
    ++totals_.resumed;
  }
  p.consecutiveFailures = 0;
}

std::vector<std::string> WanSecureStats::handshakeFailed(const std::string& peer,
                                                         const std::string& name,
                                                         const std::string& detail) {
  WanSecurePeerStats& p = peerStats(peer);
  ++p.failed;
  ++p.failedBy[name];
  ++totals_.failed;
  ++totals_.failedBy[name];
  ++p.consecutiveFailures;
  p.lastFailure = detail.empty() ? name : name + ": " + detail;
  std::vector<std::string> lines;
  // Once per peer and reason: a failing peer must not flood the log (every flow would log).
  if (logged_.size() < kMaxPeers * 8 && logged_.insert({peer, name}).second) {
    lines.push_back("wan-secure: peer " + peer + ": " + p.lastFailure +
                    " (the flow goes on without WAN secure; further failures of this peer for "
                    "this reason are counted in show statistics wan-secure, not logged)");
  }
  if (p.consecutiveFailures == kConsecutiveLimit + 1) {
    FailureAdvice a = adviceFor(name, detail);
    lines.push_back("wan-secure: peer " + peer +
                    " disconnected more than four consecutive times: cause: " + a.cause +
                    "; remedy: " + a.remedy);
  }
  return lines;
}

}  // namespace bh::proxy
