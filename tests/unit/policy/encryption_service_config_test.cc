// The encryption_service section (issue 17): identities per domain, what each kind needs, and
// the running-config form.
#include "policy/encryption_service_config.h"

#include <doctest/doctest.h>

#include "policy/config_loader.h"
#include "policy_test_util.h"

using namespace bh::policy;
using bh::policy::test::hasError;

TEST_CASE("encryption_service: off with no identity by default") {
  auto r = loadConfig("{}");
  REQUIRE(r.ok());
  CHECK_FALSE(r.value().encryptionService.enabled);
  CHECK(r.value().encryptionService.identities.empty());
}

TEST_CASE("encryption_service: user, machine and keytab identities load as written") {
  auto r = loadConfig(R"({"encryption_service": {
    "enabled": true, "timeout_ms": 20000, "retry_after_s": 30, "max_retrievals": 3,
    "identities": [
      {"name": "repl", "domain": "bhlab.test", "principal": "bhrepl",
       "password_file": "/etc/bridgehead/bhrepl.password", "domain_controllers": ["10.91.5.1"]},
      {"name": "box", "type": "machine", "domain": "sub.bhlab.test", "principal": "CORE1$"},
      {"name": "kt", "type": "keytab", "domain": "other.test", "realm": "OTHER.TEST",
       "keytab": "/etc/bridgehead/exch.keytab", "active": false}]}})");
  CAPTURE(r.errorText());
  REQUIRE(r.ok());
  const auto& s = r.value().encryptionService;
  CHECK(s.enabled);
  CHECK(s.timeoutMs == 20000);
  CHECK(s.retryAfterSeconds == 30);
  CHECK(s.maxRetrievals == 3);
  REQUIRE(s.identities.size() == 3);
  CHECK(s.identities[0].type == "user");
  CHECK(s.identities[0].domainControllers == std::vector<std::string>{"10.91.5.1"});
  CHECK(s.identities[1].type == "machine");
  CHECK(s.identities[1].keytab == "/etc/krb5.keytab");  // the joined box's keytab
  CHECK(s.identities[2].realm == "OTHER.TEST");
  CHECK_FALSE(s.identities[2].active);

  auto j = encryptionServiceRunningConfig(s);
  CHECK(j["identities"][0]["password_file"] == "/etc/bridgehead/bhrepl.password");
  CHECK_FALSE(j["identities"][0].contains("keytab"));
  // The running config loads back to the same settings.
  nlohmann::json doc;
  doc["encryption_service"] = j;
  auto again = loadConfig(doc.dump());
  CAPTURE(again.errorText());
  REQUIRE(again.ok());
  CHECK(encryptionServiceRunningConfig(again.value().encryptionService) == j);
}

TEST_CASE("encryption_service: each misconfiguration is refused where it is") {
  bh::policy::test::checkRefused({
      {R"({"encryption_service": {"enabled": true}})", "/encryption_service/identities",
       "no identity"},
      {R"({"encryption_service": {"identities": [{"name": "a", "domain": "x.test",
          "principal": "p"}]}})",
       "/encryption_service/identities/0/password_file", "exactly one"},
      {R"({"encryption_service": {"identities": [{"name": "a", "domain": "x.test",
          "principal": "p", "password_file": "/f", "password_credential": "c"}]}})",
       "/encryption_service/identities/0/password_file", "exactly one"},
      {R"({"encryption_service": {"identities": [{"name": "a", "domain": "x.test",
          "password_file": "/f"}]}})",
       "/encryption_service/identities/0/principal", "needs its principal"},
      {R"({"encryption_service": {"identities": [{"name": "a", "domain": "x.test",
          "type": "keytab"}]}})",
       "/encryption_service/identities/0/keytab", "needs the keytab"},
      {R"({"encryption_service": {"identities": [{"name": "a", "domain": "x.test",
          "type": "keytab", "keytab": "exch.keytab"}]}})",
       "/encryption_service/identities/0/keytab", "absolute"},
      {R"({"encryption_service": {"identities": [{"name": "a", "domain": "x.test",
          "type": "keytab", "keytab": "/k", "password_file": "/f"}]}})",
       "/encryption_service/identities/0/password_file", "only a user identity"},
      {R"({"encryption_service": {"identities": [{"name": "a", "domain": "x.test",
          "type": "Machine", "principal": "C$"}]}})",
       "/encryption_service/identities/0/type", "did you mean 'machine'?"},
      {R"({"encryption_service": {"identities": [{"name": "a", "domain": "bad domain",
          "type": "keytab", "keytab": "/k"}]}})",
       "/encryption_service/identities/0/domain", "not a DNS domain name"},
      {R"({"encryption_service": {"identities": [
          {"name": "a", "domain": "x.test", "type": "keytab", "keytab": "/k"},
          {"name": "a", "domain": "y.test", "type": "keytab", "keytab": "/k"}]}})",
       "/encryption_service/identities/1/name", "a second identity named 'a'"},
      {R"({"encryption_service": {"identities": [
          {"name": "a", "domain": "x.test", "type": "keytab", "keytab": "/k"},
          {"name": "b", "domain": "X.TEST", "type": "keytab", "keytab": "/k"}]}})",
       "/encryption_service/identities/1/domain", "one per domain"},
      {R"({"encryption_service": {"identities": [{"name": "a", "domain": "x.test",
          "type": "keytab", "keytab": "/k", "domain_controllers": ["10.0.0.1/24"]}]}})",
       "/encryption_service/identities/0/domain_controllers/0", "not an address"},
      {R"({"encryption_service": {"timeout_ms": 5}})", "/encryption_service/timeout_ms",
       "out of range"},
      {R"({"encryption_service": {"identitys": []}})", "/encryption_service/identitys",
       "did you mean 'identities'?"},
  });
  // An inactive second identity for a domain is allowed (kept, never used).
  auto ok = loadConfig(R"({"encryption_service": {"identities": [
      {"name": "a", "domain": "x.test", "type": "keytab", "keytab": "/k"},
      {"name": "b", "domain": "x.test", "type": "keytab", "keytab": "/k", "active": false}]}})");
  CAPTURE(ok.errorText());
  CHECK(ok.ok());
}
