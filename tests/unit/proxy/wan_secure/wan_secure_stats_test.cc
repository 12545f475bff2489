// WAN secure's counters and log rule: a reason is logged once per peer, the seed's
// "disconnected more than four consecutive times" line comes on the fifth consecutive failure
// with a peer (once per streak) with the cause and remedy, and a success ends the streak.
#include "proxy/wan_secure/wan_secure_stats.h"

#include <doctest/doctest.h>

using namespace bh::proxy;

TEST_CASE("wan-secure stats: once per peer and reason, then the consecutive-failures line") {
  WanSecureStats s;
  auto first = s.handshakeFailed("0:1a:64:d3:2f:b9", "peer-default-self-signed",
                                 "peer certificate is the default self-signed one and "
                                 "peer-cert-verify is on");
  REQUIRE(first.size() == 1);
  CHECK(first[0].find("wan-secure: peer 0:1a:64:d3:2f:b9: peer-default-self-signed") == 0);
  for (int i = 2; i <= 4; ++i) {
    CHECK(s.handshakeFailed("0:1a:64:d3:2f:b9", "peer-default-self-signed", "x").empty());
  }
  auto fifth = s.handshakeFailed("0:1a:64:d3:2f:b9", "peer-default-self-signed", "x");
  REQUIRE(fifth.size() == 1);
  CHECK(fifth[0] ==
        "wan-secure: peer 0:1a:64:d3:2f:b9 disconnected more than four consecutive times: "
        "cause: peer certificate is the default self-signed one and peer-cert-verify is on; "
        "remedy: install a certificate from your CA on the peer (wan_secure.identity) or turn "
        "peer_cert_verify off on both ends");
  CHECK(s.handshakeFailed("0:1a:64:d3:2f:b9", "peer-default-self-signed", "x").empty());
  // Another reason of the same peer is logged once too.
  CHECK(s.handshakeFailed("0:1a:64:d3:2f:b9", "unknown-ca", "").size() == 1);
  const auto& p = s.peers().at("0:1a:64:d3:2f:b9");
  CHECK(p.failed == 7);
  CHECK(p.failedBy.at("peer-default-self-signed") == 6);
  CHECK(p.consecutiveFailures == 7);
  // A success ends the streak: the next streak's fifth failure says it again.
  s.handshakeDone("0:1a:64:d3:2f:b9", false);
  CHECK(s.peers().at("0:1a:64:d3:2f:b9").consecutiveFailures == 0);
  for (int i = 1; i <= 4; ++i) {
    CHECK(s.handshakeFailed("0:1a:64:d3:2f:b9", "unknown-ca", "").empty());
  }
  CHECK(s.handshakeFailed("0:1a:64:d3:2f:b9", "unknown-ca", "").size() == 1);
  CHECK(s.totals().failed == 12);
  CHECK(s.totals().done == 1);
}

TEST_CASE("wan-secure stats: peers are capped; the rest count under 'other'") {
  WanSecureStats s;
  for (size_t i = 0; i < WanSecureStats::kMaxPeers + 10; ++i) {
    s.handshakeDone("peer-" + std::to_string(i), i % 2 == 0);
  }
  CHECK(s.peers().size() == WanSecureStats::kMaxPeers + 1);
  CHECK(s.peers().at("other").done == 10);
  CHECK(s.totals().done == WanSecureStats::kMaxPeers + 10);
  CHECK(s.totals().resumed == (WanSecureStats::kMaxPeers + 10) / 2);
}

TEST_CASE("wan-secure stats: every failure the issue names has its own cause and remedy") {
  for (const char* name : {"peer-default-self-signed", "unknown-ca", "certificate-expired",
                           "certificate-revoked", "revocation-unknown", "protocol-version-mismatch",
                           "cipher-mismatch", "no-peer-certificate", kModeMismatch}) {
    CAPTURE(name);
    FailureAdvice a = adviceFor(name, "detail");
    CHECK_FALSE(a.cause.empty());
    CHECK(a.remedy.find("check the WAN path") == std::string::npos);
  }
  CHECK(
      adviceFor("certificate-revoked",
                "certificate \"CN=core,O=bhlab\" (serial 0x1002) revoked (OCSP, http://192.0.2.9/)")
          .cause ==
      "peer certificate \"CN=core,O=bhlab\" (serial 0x1002) revoked (OCSP, http://192.0.2.9/)");
}
