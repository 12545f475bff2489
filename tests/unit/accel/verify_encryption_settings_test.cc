#include "accel/verify_encryption_settings.h"

#include <doctest/doctest.h>

// `accelerator mapi verify encryption-settings`: each check's verdict from the facts, its FAILED
// block (table and `>>` remedies) and the seed's layout.

using namespace bh::accel;

namespace {

/// A core with everything right: every check OK.
EncryptionSettingsFacts goodCore() {
  EncryptionSettingsFacts f;
  f.mapi = {true, true, ""};
  f.ssl = {true, true, ""};
  f.wanSecure = {true, true, ""};
  f.mapiClasses = {{"MAPI", "map adaptor EPM mapi", "optimize full accelerate mapi"}};
  f.epmClass = true;
  f.mapiWanSecureMode = "always";
  f.mapiWanSecureModeUser = true;
  f.ntp.readable = true;
  f.ntp.synchronized = true;
  f.ntp.daemons = {"chronyd"};
  f.coreRole = true;
  f.encryptionService = {true, true, ""};
  f.identities = {{"repl", "User", "bhlab.test", true, false, "", true, "loaded"}};
  f.storeState = "open";
  f.storePath = "/var/lib/bridgehead/secure";
  f.dns = {{"exch1.bhlab.test", "Exchange server", {"10.91.4.2"}, ""},
           {"_ldap._tcp.dc._msdcs.bhlab.test", "DCs of bhlab.test (SRV)", {"dc1.bhlab.test"}, ""},
           {"dc1.bhlab.test", "DC of bhlab.test", {"10.91.5.1"}, ""}};
  f.kdcs = {{"bhlab.test", "dc1.bhlab.test", 0.2, "KDC_ERR_PREAUTH_REQUIRED", ""}};
  KeyRetrievalFacts k;
  k.identity = "repl";
  k.domain = "bhlab.test";
  k.fqdn = "exch1.bhlab.test";
  k.outcome = KeyRetrievalFacts::Outcome::Retrieved;
  k.keys = "aes256-cts(18) kvno 2";
  k.seconds = 0.4;
  f.retrievals = {k};
  return f;
}

const VerifyCheck& check(const VerifyPart& p, const std::string& key) {
  for (const auto& c : p.checks) {
    if (c.key == key) {
      return c;
    }
  }
  FAIL("no check " << key);
  static VerifyCheck none;
  return none;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// Only `key` failed, in `part`; the others are OK.
void onlyFailed(const VerifyReport& r, const std::string& key) {
  for (const VerifyPart* p : {&r.edge, &r.core}) {
    for (const auto& c : p->checks) {
      INFO(c.key);
      CHECK((c.status == CheckStatus::Failed) == (c.key == key));
    }
  }
}

}  // namespace

TEST_CASE("verify: a correct core prints every check OK and both summaries good") {
  VerifyReport r = verifyEncryptionSettings(goodCore());
  CHECK(r.edge.ok());
  CHECK(r.core.ok());
  CHECK(r.edge.checks.size() == 6);
  CHECK(r.core.checks.size() == 6);
  std::string t = verifyText(r);
  CHECK(t.rfind("[EDGE:]\nVerifying Mapi Accelerator State\n-----\n      Status: OK\n", 0) == 0);
  for (const char* title :
       {"Verifying SSL Accelerator State", "Verifying Wan-secure State",
        "Verifying Mapi encryption Settings", "Verifying Mapi Wan-secure mode Setting",
        "Verifying NTP State", "Verifying encryption-service State",
        "Verifying Encryption-service Identity Settings", "Verifying Secure Store",
        "Verifying DNS Resolution", "Verifying Clock Offset to each KDC",
        "Verifying Key Retrieval per Identity"}) {
    CHECK(contains(t, std::string(title) + "\n-----\n      Status: OK\n"));
  }
  CHECK_FALSE(contains(t, "FAILED"));
  CHECK_FALSE(contains(t, ">>"));
  CHECK(contains(t,
                 "Summary [EDGE]:\n=====\n      Device has proper configuration to accelerate "
                 "encrypted traffic\n\n[CORE:]\n"));
  CHECK(contains(t,
                 "Summary [CORE]: Applicable only on CORE WAEs\n=====\n      Device has "
                 "proper configuration to accelerate encrypted traffic\n"));
  // Step 3's facts are shown even when OK: the offset, the addresses, the keys.
  CHECK(contains(t, "dc1.bhlab.test                  bhlab.test              +0.2 s"));
  CHECK(contains(t, "exch1.bhlab.test"));
  CHECK(contains(t, "retrieved in 0.4 s: aes256-cts(18) kvno 2"));
  auto j = verifyJson(r);
  CHECK(j["edge"]["ok"] == true);
  CHECK(j["core"]["checks"][5]["check"] == "key-retrieval");
  CHECK(j["core"]["checks"][5]["status"] == "OK");
}

TEST_CASE("verify: MAPI accelerator disabled: the seed's table and both remedies") {
  auto f = goodCore();
  f.mapi = {false, false, ""};
  VerifyReport r = verifyEncryptionSettings(f);
  onlyFailed(r, "mapi-accelerator");
  std::string t = verifyText(r);
  CHECK(contains(t,
                 "Verifying Mapi Accelerator State\n-----\n      Status: FAILED\n"
                 "Accelerator        Config State   Operational State\n-----\n"
                 "mapi               Disabled       Shutdown\n"
                 ">>Mapi Accelerator should be Enabled (accelerators.mapi.enabled true, then "
                 "bhctl reload)\n>>Mapi Accelerator should be in Running state\n"));
  CHECK(contains(t,
                 "Summary [EDGE]:\n=====\n      Device has to be properly configured for one "
                 "or more components\n"));
  CHECK(r.core.ok());
}

TEST_CASE("verify: enabled but not running names the reason and only the running remedy") {
  auto f = goodCore();
  f.ssl = {true, false, "cannot open the secure store"};
  VerifyReport r = verifyEncryptionSettings(f);
  onlyFailed(r, "ssl-accelerator");
  const auto& c = check(r.edge, "ssl-accelerator");
  REQUIRE(c.lines.size() == 4);
  CHECK(c.lines[2] == "ssl                Enabled        Shutdown");
  CHECK(c.lines[3] == "(cannot open the secure store)");
  REQUIRE(c.remedy.size() == 1);
  CHECK(c.remedy[0].rfind("SSL Accelerator should be in Running state", 0) == 0);
}

TEST_CASE("verify: WAN secure off for MAPI fails both its state and the mode (auto/always)") {
  auto f = goodCore();
  f.wanSecure = {false, false, ""};
  f.mapiWanSecureMode = "never";
  VerifyReport r = verifyEncryptionSettings(f);
  CHECK(check(r.edge, "wan-secure").status == CheckStatus::Failed);
  const auto& m = check(r.edge, "mapi-wan-secure-mode");
  CHECK(m.status == CheckStatus::Failed);
  CHECK(m.lines[2] == "WanSecure Mode                    User           never");
  CHECK(m.remedy[0] == "Mapi wan-secure setting should be auto/always");
  CHECK(contains(verifyText(r), ">>Wan-secure should be Enabled"));
  // The seed's rule: auto (sealed flows' legs secured) and always both pass.
  for (const char* mode : {"auto", "always"}) {
    f = goodCore();
    f.mapiWanSecureMode = mode;
    CHECK(check(verifyEncryptionSettings(f).edge, "mapi-wan-secure-mode").status ==
          CheckStatus::Ok);
  }
}

TEST_CASE("verify: no MAPI class in the policy map, and no EPM class") {
  auto f = goodCore();
  f.mapiClasses.clear();
  VerifyReport r = verifyEncryptionSettings(f);
  onlyFailed(r, "mapi-encryption");
  auto c = check(r.edge, "mapi-encryption");
  CHECK(contains(verifyText(r),
                 "(no class of the policy map accelerates mapi)\n>>The policy map "
                 "should send MAPI to the MAPI accelerator\n>>Add the EPM map"));
  f = goodCore();
  f.epmClass = false;
  c = check(verifyEncryptionSettings(f).edge, "mapi-encryption");
  CHECK(c.status == CheckStatus::Failed);
  REQUIRE(c.remedy.size() == 1);
  CHECK(contains(c.remedy[0], "MS-EndPointMapper"));
}

TEST_CASE("verify: NTP unsynchronized names the kernel's state and the daemons") {
  auto f = goodCore();
  f.ntp = {true, false, 16000000, {}, ""};
  VerifyReport r = verifyEncryptionSettings(f);
  onlyFailed(r, "ntp");
  std::string t = verifyText(r);
  CHECK(contains(t,
                 "Verifying NTP State\n-----\n      Status: FAILED\nKernel clock:       "
                 "unsynchronized (adjtimex: STA_UNSYNC), maximum error 16.0 s\nTime daemon:    "
                 "    none running (chronyd, ntpd, systemd-timesyncd)\n>>NTP status should be "
                 "enabled and configured\n"));
  f.ntp = {false, false, 0, {}, "Operation not permitted"};
  CHECK(contains(verifyText(verifyEncryptionSettings(f)), "cannot be read (Operation not "));
}

TEST_CASE("verify: encryption service disabled and no identity: the seed's CORE block") {
  auto f = goodCore();
  f.encryptionService = {false, false, ""};
  f.identities.clear();
  VerifyReport r = verifyEncryptionSettings(f);
  REQUIRE(r.core.checks.size() == 2);  // nothing of Step 3 runs without the service
  std::string t = verifyText(r);
  CHECK(contains(t,
                 "Verifying encryption-service State\n-----\n      Status: FAILED\nService        "
                 "    Config State   Operational State\n-----\nEncryption-service Disabled       "
                 "Shutdown\n>>Encryption Service should be Enabled (encryption_service.enabled "
                 "true, then bhctl reload)\n>>Encryption Service status should be in 'Running' "
                 "state\n"));
  CHECK(contains(t,
                 "Verifying Encryption-service Identity Settings\n-----\n      Status: FAILED\n"
                 ">>No active Encryption-service Identity is configured.\n>>Please configure an "
                 "active Windows Domain Encryption Service Identity.\n"));
  CHECK(contains(t,
                 "Summary [CORE]: Applicable only on CORE WAEs\n=====\n      Device has to be "
                 "properly configured for one or more components\n"));
}

TEST_CASE("verify: a black listed identity and one without credentials") {
  auto f = goodCore();
  f.identities[0].blacklisted = true;
  f.identities[0].blacklistReason = "Key retrieval failed due to permission";
  f.identities.push_back({"pw", "User", "other.test", true, false, "", false, "cannot read x"});
  f.identities.push_back({"old", "User", "old.test", false, false, "", false, "none"});
  VerifyReport r = verifyEncryptionSettings(f);
  onlyFailed(r, "identities");
  const auto& c = check(r.core, "identities");
  CHECK(c.lines[2] == "repl              User     bhlab.test              Black_Listed");
  CHECK(c.lines[3] == "  Key retrieval failed due to permission");
  CHECK(c.lines[4] == "pw                User     other.test              No credentials");
  CHECK(c.lines[6] == "old               User     old.test                Inactive");
  REQUIRE(c.remedy.size() == 2);
  CHECK(contains(c.remedy[0], "Replicating Directory Changes All"));
  CHECK(contains(c.remedy[1], "readable by the daemon at start"));
}

TEST_CASE("verify: the secure store locked") {
  auto f = goodCore();
  f.storeState = "locked";
  f.storeReason = "the store key does not open the key check";
  VerifyReport r = verifyEncryptionSettings(f);
  onlyFailed(r, "secure-store");
  CHECK(contains(verifyText(r),
                 "Verifying Secure Store\n-----\n      Status: FAILED\nPath:   "
                 "/var/lib/bridgehead/secure\nState:  locked\nReason: the store key does not "
                 "open the key check\n>>The secure store should be initialized and open"));
}

TEST_CASE("verify: a name that does not resolve: the Exchange server's and a DC's remedies") {
  auto f = goodCore();
  f.dns[0].addresses.clear();
  f.dns[0].error = "Name or service not known";
  VerifyReport r = verifyEncryptionSettings(f);
  onlyFailed(r, "dns");
  auto c = check(r.core, "dns");
  CHECK(contains(c.lines[2], "FAILED: Name or service not known"));
  REQUIRE(c.remedy.size() == 1);
  CHECK(contains(c.remedy[0], "Exchange servers' FQDNs"));
  f = goodCore();
  f.dns[1].error = "no SRV record _ldap._tcp.dc._msdcs.bhlab.test";
  c = check(verifyEncryptionSettings(f).core, "dns");
  REQUIRE(c.remedy.size() == 1);
  CHECK(contains(c.remedy[0], "_ldap._tcp.dc._msdcs.DOMAIN"));
  f.dns.clear();
  CHECK(check(verifyEncryptionSettings(f).core, "dns").status == CheckStatus::NotChecked);
}

TEST_CASE("verify: a KDC 10 minutes ahead, and one that does not answer") {
  auto f = goodCore();
  f.kdcs[0].offsetSeconds = 600.4;
  VerifyReport r = verifyEncryptionSettings(f);
  onlyFailed(r, "kdc-clock");
  auto c = check(r.core, "kdc-clock");
  CHECK(c.lines[2] ==
        "dc1.bhlab.test                  bhlab.test              +600.4 s  FAILED: "
        "beyond Kerberos's allowed skew");
  REQUIRE(c.remedy.size() == 1);
  CHECK(contains(c.remedy[0], "within 300 s of each KDC's"));
  // At the limit it still passes: Kerberos allows the skew itself.
  f.kdcs[0].offsetSeconds = -300;
  CHECK(check(verifyEncryptionSettings(f).core, "kdc-clock").status == CheckStatus::Ok);
  f.kdcs[0].offsetSeconds.reset();
  f.kdcs[0].error = "cannot connect to 10.91.5.77:88: timed out";
  c = check(verifyEncryptionSettings(f).core, "kdc-clock");
  CHECK(c.status == CheckStatus::Failed);
  CHECK(contains(c.lines[2], "FAILED: cannot connect to 10.91.5.77:88"));
  CHECK(contains(c.remedy[0], "TCP 88"));
}

TEST_CASE("verify: key retrieval failed, still running, cached, not tried") {
  auto f = goodCore();
  auto& k = f.retrievals[0];
  k.outcome = KeyRetrievalFacts::Outcome::Failed;
  k.failure = "Key retrieval failed: the KDC refused the password of identity repl";
  k.remedy = {
      "Check the password of repl (its password file or credential) against the "
      "directory"};
  VerifyReport r = verifyEncryptionSettings(f);
  onlyFailed(r, "key-retrieval");
  CHECK(contains(verifyText(r),
                 "repl              exch1.bhlab.test                FAILED: Key retrieval "
                 "failed: the KDC refused the password of identity repl\n>>Check the password "
                 "of repl"));
  k.outcome = KeyRetrievalFacts::Outcome::StillRunning;
  CHECK(check(verifyEncryptionSettings(f).core, "key-retrieval").status == CheckStatus::Failed);
  k.outcome = KeyRetrievalFacts::Outcome::AlreadyCached;
  auto c = check(verifyEncryptionSettings(f).core, "key-retrieval");
  CHECK(c.status == CheckStatus::Ok);
  CHECK(contains(c.lines[2], "already in the memory key cache (not fetched again)"));
  k.outcome = KeyRetrievalFacts::Outcome::NotTried;
  k.fqdn.clear();
  c = check(verifyEncryptionSettings(f).core, "key-retrieval");
  CHECK(c.status == CheckStatus::NotChecked);
  CHECK(contains(c.lines[2], "not tried: no Exchange server of bhlab.test is known"));
  CHECK(contains(c.remedy[0], "verify encryption-settings FQDN"));
  // NOT CHECKED does not fail the summary.
  CHECK(verifyEncryptionSettings(f).core.ok());
}

TEST_CASE("verify: an edge-only box: the CORE part is not applicable, not failed") {
  auto f = goodCore();
  f.coreRole = false;
  f.role = "edge";
  f.encryptionService = {false, false, ""};
  VerifyReport r = verifyEncryptionSettings(f);
  CHECK(r.core.checks.empty());
  std::string t = verifyText(r);
  CHECK(contains(t, "[CORE:]\n      Not applicable: this box's role is edge (device.role)"));
  CHECK(contains(t,
                 "Summary [CORE]: Applicable only on CORE WAEs\n=====\n      Not applicable "
                 "on this box\n"));
  CHECK(verifyJson(r)["core"]["applicable"] == false);
}
