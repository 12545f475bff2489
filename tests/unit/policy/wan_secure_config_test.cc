// The `wan_secure` block: defaults, a full configuration, and each mistake named at its path.
#include <doctest/doctest.h>

#include "policy/config_loader.h"
#include "policy_test_util.h"

using namespace bh::policy;

using bh::policy::test::hasError;

TEST_CASE("wan_secure: defaults (mapi auto, the rest never, verify off, fail_closed)") {
  auto r = loadConfig("{}");
  REQUIRE(r.ok());
  const WanSecureConfig& w = r.value().wanSecure;
  CHECK(w.mapiMode == WanSecureMode::Auto);
  CHECK(w.epmMode == WanSecureMode::Never);
  CHECK(w.genericMode == WanSecureMode::Never);
  CHECK_FALSE(w.anyAlways());
  CHECK_FALSE(w.peerCertVerify);
  CHECK(w.ocsp.enabled);
  CHECK(w.ocsp.unreachable == OcspUnreachable::FailClosed);
  CHECK(w.ocsp.timeoutMs == 5000);
  CHECK(w.minVersion == "1.3");
  CHECK(w.store.path == "/var/lib/bridgehead/secure");
  CHECK(w.store.credential == "bridgehead-store-key");
  CHECK(w.store.keyFile == "/etc/bridgehead/store.key");
  CHECK(w.certificate.empty());
  CHECK(w.modeFor(Accelerator::Mapi) == WanSecureMode::Auto);
  CHECK(w.modeFor(Accelerator::None) == WanSecureMode::Never);
}

TEST_CASE("wan_secure: every key") {
  auto r = loadConfig(R"({"wan_secure": {
    "identity": {"certificate": "/etc/bh/edge.pem", "private_key": "/etc/bh/edge.key",
                 "chain": "/etc/bh/chain.pem"},
    "ca_bundle": "/etc/bh/ca.pem",
    "peer_cert_verify": true,
    "ocsp": {"url": "http://ocsp.example/", "timeout_ms": 2000, "unreachable": "fail_open",
             "enabled": true},
    "min_version": "1.2",
    "ciphers": "TLS_AES_128_GCM_SHA256",
    "store": {"path": "/srv/bh/secure", "key_credential": "bh-key", "key_file": "/root/bh.key"},
    "mode": {"mapi": "always", "epm": "auto", "generic": "always"}
  }})");
  REQUIRE_MESSAGE(r.ok(), r.errorText());
  const WanSecureConfig& w = r.value().wanSecure;
  CHECK(w.certificate == "/etc/bh/edge.pem");
  CHECK(w.privateKey == "/etc/bh/edge.key");
  CHECK(w.chain == "/etc/bh/chain.pem");
  CHECK(w.caBundle == "/etc/bh/ca.pem");
  CHECK(w.peerCertVerify);
  CHECK(w.ocsp.url == "http://ocsp.example/");
  CHECK(w.ocsp.timeoutMs == 2000);
  CHECK(w.ocsp.unreachable == OcspUnreachable::FailOpen);
  CHECK(w.minVersion == "1.2");
  CHECK(w.ciphers == "TLS_AES_128_GCM_SHA256");
  CHECK(w.store.path == "/srv/bh/secure");
  CHECK(w.store.credential == "bh-key");
  CHECK(w.store.keyFile == "/root/bh.key");
  CHECK(w.mapiMode == WanSecureMode::Always);
  CHECK(w.epmMode == WanSecureMode::Auto);
  CHECK(w.genericMode == WanSecureMode::Always);
  CHECK(w.anyAlways());
}

TEST_CASE("wan_secure: each mistake is named at its path") {
  bh::policy::test::checkRefused({
      {R"({"wan_secure": {"mode": {"mapi": "sometimes"}}})", "/wan_secure/mode/mapi",
       "'sometimes' is not valid"},
      {R"({"wan_secure": {"mode": {"http": "always"}}})", "/wan_secure/mode/http",
       "unknown key 'http'"},
      {R"({"wan_secure": {"identity": {"certificate": "/a.pem"}}})",
       "/wan_secure/identity/private_key", "certificate and private_key go together"},
      {R"({"wan_secure": {"identity": {"chain": "/c.pem"}}})", "/wan_secure/identity/chain",
       "a chain needs a certificate"},
      {R"({"wan_secure": {"peer_cert_verify": true}})", "/wan_secure/ca_bundle",
       "peer_cert_verify needs a ca_bundle"},
      {R"({"wan_secure": {"ocsp": {"url": "https://x/"}}})", "/wan_secure/ocsp/url",
       "is not an http:// URL"},
      {R"({"wan_secure": {"ocsp": {"unreachable": "fail-open"}}})", "/wan_secure/ocsp/unreachable",
       "did you mean 'fail_open'?"},
      {R"({"wan_secure": {"ocsp": {"timeout_ms": 10}}})", "/wan_secure/ocsp/timeout_ms",
       "out of range"},
      {R"({"wan_secure": {"min_version": "1.1"}})", "/wan_secure/min_version",
       "'1.1' is not valid"},
      {R"({"wan_secure": {"ciphers": "AES GCM"}})", "/wan_secure/ciphers", "separated by ':'"},
      {R"({"wan_secure": {"store": {"path": "secure"}}})", "/wan_secure/store/path",
       "absolute directory path"},
      {R"({"wan_secure": {"store": {"key_file": "k"}}})", "/wan_secure/store/key_file",
       "absolute file path"},
      {R"({"wan_secure": {"store": {"key_credential": "a/b"}}})",
       "/wan_secure/store/key_credential", "without '/'"},
      {R"({"wan_secure": {"peer_cert_verfy": true}})", "/wan_secure/peer_cert_verfy",
       "did you mean 'peer_cert_verify'?"},
  });
}
