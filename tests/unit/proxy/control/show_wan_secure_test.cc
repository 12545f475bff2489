#include <doctest/doctest.h>

// WAN secure's show commands render from plain data, byte for byte: the statistics (totals,
// failures by reason, per peer), the certificates (never a key), the secure store and the
// seed's "WAN Secure:" table of `show accelerator mapi`.

#include "proxy/control/show_wan_secure.h"

using namespace bh::proxy;

TEST_CASE("show statistics wan-secure: totals, failures by reason, bytes, per peer") {
  WanSecureStatsView v;
  v.available = true;
  v.totals.done = 12;
  v.totals.resumed = 10;
  v.totals.earlyAccepted = 9;
  v.totals.earlyRejected = 1;
  v.totals.autoSecured = 4;
  v.totals.autoClear = 7;
  v.totals.failed = 6;
  v.totals.failedBy = {{"peer-default-self-signed", 5}, {"mode-mismatch", 1}};
  v.totals.handedOff = 6;
  v.totals.bytesSealed = 1048576;
  v.totals.bytesOpened = 2048;
  WanSecurePeerStats p;
  p.done = 12;
  p.resumed = 10;
  p.failed = 6;
  p.consecutiveFailures = 5;
  p.lastFailure = "peer-default-self-signed: peer certificate is the default self-signed one";
  p.failedBy = {{"peer-default-self-signed", 5}, {"mode-mismatch", 1}};
  v.peers["0:1a:64:d3:2f:b9"] = p;
  auto r = showStatisticsWanSecure(v);
  REQUIRE(r["ok"] == true);
  CHECK(r["text"] ==
        "WAN secure statistics\n"
        "State:                                  Running\n"
        "Handshakes done:                        12\n"
        "Handshakes resumed:                     10\n"
        "Early data accepted (0-RTT):            9\n"
        "Early data rejected, sent again:        1\n"
        "Auto: legs secured (sealed flows):      4\n"
        "Auto: legs left in clear:               7\n"
        "Handshakes failed:                      6\n"
        "  mode-mismatch:                        1\n"
        "  peer-default-self-signed:             5\n"
        "Flows handed off without WAN secure:    6\n"
        "Bytes sealed:                           1048576\n"
        "Bytes opened:                           2048\n"
        "\n"
        "Peer                   Done      Resumed   Failed    Consecutive  Last failure\n"
        "----                   ----      -------   ------    -----------  ------------\n"
        "0:1a:64:d3:2f:b9       12        10        6         5            "
        "peer-default-self-signed: peer certificate is the default self-signed one\n");
  const auto& j = r["json"];
  CHECK(j["handshakes_done"] == 12);
  CHECK(j["failed_by_reason"]["peer-default-self-signed"] == 5);
  CHECK(j["peers"][0]["peer"] == "0:1a:64:d3:2f:b9");
  CHECK(j["peers"][0]["consecutive_failures"] == 5);
  CHECK(j["bytes_sealed"] == 1048576);
  CHECK(j["early_data_accepted"] == 9);
  CHECK(j["early_data_rejected"] == 1);
  CHECK(j["auto_secured"] == 4);
  CHECK(j["auto_clear"] == 7);
}

TEST_CASE("show statistics wan-secure: not running says why") {
  WanSecureStatsView v;
  v.unavailableReason = "secure store locked: wrong key";
  auto r = showStatisticsWanSecure(v);
  const std::string text = r["text"];
  CHECK(text.find("State:                                  Not running (secure store locked: "
                  "wrong key)\n") != std::string::npos);
  CHECK(r["json"]["state"] == "not running");
}

TEST_CASE("show statistics wan-secure: the OCSP transport's counters, or null without one") {
  WanSecureStatsView v;
  v.available = true;
  CHECK(showStatisticsWanSecure(v)["json"]["ocsp"].is_null());
  OcspStatsView o;
  o.responder = "each certificate's AIA";
  o.timeoutMs = 5000;
  o.unreachable = "fail_closed";
  o.checks = 9;
  o.cacheHits = 7;
  o.coalesced = 1;
  o.requests = 1;
  o.connections = 1;
  o.cachedAnswers = 1;
  v.ocsp = o;
  auto r = showStatisticsWanSecure(v);
  const std::string text = r["text"];
  CHECK(text.find("OCSP responder:                         each certificate's AIA (timeout "
                  "5000 ms, fail_closed)\n"
                  "OCSP checks:                            9\n"
                  "  answered from the cache:              7\n"
                  "  joined a request under way:           1\n"
                  "  refused over the caps:                0\n"
                  "OCSP requests to responders:            1\n"
                  "OCSP answers cached now:                1\n") != std::string::npos);
  const auto& j = r["json"]["ocsp"];
  CHECK(j["checks"] == 9);
  CHECK(j["cache_hits"] == 7);
  CHECK(j["requests"] == 1);
  CHECK(j["cached_answers"] == 1);
  CHECK(j["unreachable"] == "fail_closed");
}

TEST_CASE("show crypto certificates: names, validity, mark, OCSP status and age") {
  CertificateRow local;
  local.owner = "local";
  local.subject = "OU=Bridgehead default self-signed peering,CN=lab-edge";
  local.issuer = local.subject;
  local.notBefore = "2026-12-05 16:57:50 UTC";
  local.notAfter = "2036-12-03 16:57:50 UTC";
  local.defaultSelfSigned = true;
  CertificateRow peer;
  peer.owner = "peer 0:1a:64:d3:2f:b9";
  peer.subject = "CN=core";
  peer.issuer = "CN=Lab CA";
  peer.notBefore = "2026-12-05 15:57:50 UTC";
  peer.notAfter = "2026-12-12 16:57:50 UTC";
  peer.ocspStatus = "good";
  peer.ocspAgeSeconds = 42;
  auto r = showCryptoCertificates({local, peer});
  CHECK(r["text"] ==
        "Certificate: local\n"
        "  Subject:     OU=Bridgehead default self-signed peering,CN=lab-edge\n"
        "  Issuer:      OU=Bridgehead default self-signed peering,CN=lab-edge\n"
        "  Not before:  2026-12-05 16:57:50 UTC\n"
        "  Not after:   2036-12-03 16:57:50 UTC\n"
        "  Self-signed: yes (the default peering certificate)\n"
        "  OCSP:        not checked\n"
        "Certificate: peer 0:1a:64:d3:2f:b9\n"
        "  Subject:     CN=core\n"
        "  Issuer:      CN=Lab CA\n"
        "  Not before:  2026-12-05 15:57:50 UTC\n"
        "  Not after:   2026-12-12 16:57:50 UTC\n"
        "  Self-signed: no\n"
        "  OCSP:        good (42 s ago)\n");
  CHECK(r["json"]["certificates"][1]["ocsp_age_seconds"] == 42);
  CHECK(r["json"]["certificates"][0]["ocsp_age_seconds"].is_null());
}

TEST_CASE("show secure-store: path, state, reason, key source") {
  auto r = showSecureStore({"/var/lib/bridgehead/secure", "locked",
                            "the store key does not open the store (wrong key?)",
                            "key file /etc/bridgehead/store.key", true});
  CHECK(r["text"] ==
        "Secure store\n"
        "Path:           /var/lib/bridgehead/secure\n"
        "State:          locked\n"
        "Reason:         the store key does not open the store (wrong key?)\n"
        "Key source:     key file /etc/bridgehead/store.key\n");
  CHECK(r["json"]["state"] == "locked");
}

TEST_CASE("show accelerator mapi: the seed's WAN Secure table") {
  WanSecureTableView v;
  v.sslAo = true;
  v.sslAoUser = true;
  v.secureStoreOpen = true;
  v.peerCertVerify = true;
  v.peerCertVerifyUser = true;
  v.mapiMode = "always";
  CHECK(wanSecureTableText(v) ==
        "WAN Secure:\n"
        "Accelerator Config Item      Mode      Value\n"
        "-----------------------      ----      -----\n"
        "SSL AO                       User      enabled\n"
        "Secure store                 User      enabled\n"
        "Peer SSL version             Default   default\n"
        "Peer cipher list             Default   default\n"
        "Peer cert                    Default   default\n"
        "Peer cert verify             User      enabled\n"
        "Mapi Wan-secure mode         User      always\n");
  auto j = wanSecureTableJson(v);
  CHECK(j["peer_cert_verify"] == "enabled");
  CHECK(j["mapi_wan_secure_mode"] == "always");
}
