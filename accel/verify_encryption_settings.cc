#include "accel/verify_encryption_settings.h"

#include <cmath>
#include <cstdio>

#include "common/text_column.h"

namespace bh::accel {

namespace {

const char* kDashes = "-----";

std::string seconds(double s) {
  char b[32];
  std::snprintf(b, sizeof(b), "%+.1f s", s);
  return b;
}

/// The seed's state table: "Accelerator      Config State      Operational State".
std::vector<std::string> stateTable(const char* column, const std::string& name,
                                    const ServiceFacts& f) {
  std::vector<std::string> t = {
      padRight(column, 19) + padRight("Config State", 15) + "Operational State", kDashes,
      padRight(name, 19) + padRight(f.configEnabled ? "Enabled" : "Disabled", 15) +
          (f.running ? "Running" : "Shutdown")};
  if (!f.running && !f.reason.empty()) {
    t.push_back("(" + f.reason + ")");
  }
  return t;
}

/// A state check: OK when enabled and running; otherwise the table and the seed's two remedies,
/// each followed by how to get there on this box.
VerifyCheck stateCheck(std::string title, std::string key, const char* column,
                       const std::string& name, const ServiceFacts& f, std::string shouldEnable,
                       std::string shouldRun) {
  VerifyCheck c{std::move(title), std::move(key), CheckStatus::Ok, {}, {}};
  if (f.configEnabled && f.running) {
    return c;
  }
  c.status = CheckStatus::Failed;
  c.lines = stateTable(column, name, f);
  if (!f.configEnabled) {
    c.remedy.push_back(std::move(shouldEnable));
  }
  c.remedy.push_back(std::move(shouldRun));
  return c;
}

VerifyCheck mapiClassCheck(const EncryptionSettingsFacts& f) {
  VerifyCheck c{"Verifying Mapi encryption Settings", "mapi-encryption", CheckStatus::Ok, {}, {}};
  c.lines.push_back(padRight("Class", 22) + padRight("Match", 46) + "Action");
  c.lines.push_back(kDashes);
  for (const auto& m : f.mapiClasses) {
    c.lines.push_back(padRight(m.name, 22) + padRight(m.match, 46) + m.action);
  }
  if (f.mapiClasses.empty()) {
    c.lines.push_back("(no class of the policy map accelerates mapi)");
    c.status = CheckStatus::Failed;
    c.remedy.push_back("The policy map should send MAPI to the MAPI accelerator");
    c.remedy.push_back(
        "Add the EPM map of the EMSMDB interface: epm_maps [{\"name\": \"mapi\", \"uuid\": "
        "\"a4f1db00-ca47-1067-b31f-00dd010662da\", \"application\": \"Email-and-Messaging\", "
        "\"action\": \"optimize full\", \"accelerate\": \"mapi\"}], then bhctl reload");
  }
  if (!f.epmClass) {
    c.status = CheckStatus::Failed;
    c.lines.push_back("(no class accelerates epm: MAPI's dynamic ports are never learnt)");
    c.remedy.push_back(
        "Add the MS-EndPointMapper class (dst_port eq 135, accelerate epm), then bhctl reload");
  }
  if (c.status == CheckStatus::Ok) {
    c.lines.clear();  // the seed prints nothing more for a good check
  }
  return c;
}

VerifyCheck wanSecureModeCheck(const EncryptionSettingsFacts& f) {
  VerifyCheck c{
      "Verifying Mapi Wan-secure mode Setting", "mapi-wan-secure-mode", CheckStatus::Ok, {}, {}};
  // The seed's rule: auto (the sealed flows' legs secured, proxy/wan_secure/leg_security.h) or
  // always; never keeps eMAPI's keys off every leg.
  if (f.mapiWanSecureMode == "always" || f.mapiWanSecureMode == "auto") {
    return c;
  }
  c.status = CheckStatus::Failed;
  c.lines = {padRight("Accelerator Config Item", 34) + padRight("Mode", 15) + "Value", kDashes,
             padRight("WanSecure Mode", 34) +
                 padRight(f.mapiWanSecureModeUser ? "User" : "Default", 15) + f.mapiWanSecureMode};
  c.remedy = {"Mapi wan-secure setting should be auto/always",
              "Set wan_secure.mode.mapi to \"auto\" (or \"always\") on edge and core, then "
              "bhctl reload"};
  return c;
}

VerifyCheck ntpCheck(const NtpFacts& n) {
  VerifyCheck c{"Verifying NTP State", "ntp", CheckStatus::Ok, {}, {}};
  std::string daemons;
  for (const auto& d : n.daemons) {
    daemons += (daemons.empty() ? "" : ", ") + d;
  }
  if (n.readable && n.synchronized) {
    return c;
  }
  c.status = CheckStatus::Failed;
  if (!n.readable) {
    c.lines.push_back("Kernel clock:       cannot be read (" + n.error + ")");
  } else {
    char err[64];
    std::snprintf(err, sizeof(err), "%.1f s", static_cast<double>(n.maxErrorUs) / 1e6);
    c.lines.push_back("Kernel clock:       unsynchronized (adjtimex: STA_UNSYNC), maximum error " +
                      std::string(err));
  }
  c.lines.push_back("Time daemon:        " + (daemons.empty()
                                                  ? std::string("none running (chronyd, ntpd, "
                                                                "systemd-timesyncd)")
                                                  : daemons + " (running, not synchronized yet)"));
  c.remedy = {"NTP status should be enabled and configured",
              "Run a time daemon (chrony, ntpsec or systemd-timesyncd) against the enterprise NTP "
              "server, preferably the KDCs' own source"};
  return c;
}

VerifyCheck identityCheck(const EncryptionSettingsFacts& f) {
  VerifyCheck c{
      "Verifying Encryption-service Identity Settings", "identities", CheckStatus::Ok, {}, {}};
  bool anyActive = false;
  std::vector<std::string> rows;
  for (const auto& id : f.identities) {
    anyActive = anyActive || id.active;
    std::string state = !id.active              ? "Inactive"
                        : id.blacklisted        ? "Black_Listed"
                        : !id.credentialsLoaded ? "No credentials"
                                                : "Active";
    rows.push_back(padRight(id.name, 18) + padRight(id.kind, 9) + padRight(id.domain, 24) + state);
    if (!id.active) {
      continue;
    }
    if (id.blacklisted) {
      c.status = CheckStatus::Failed;
      rows.push_back("  " + id.blacklistReason);
      c.remedy.push_back("Identity " + id.name +
                         " is black listed: grant it both \"Replicating Directory Changes\" and "
                         "\"Replicating Directory Changes All\" on " +
                         id.domain + ", then change its configuration and bhctl reload");
    }
    if (!id.credentialsLoaded) {
      c.status = CheckStatus::Failed;
      rows.push_back("  credentials: " + id.credentials);
      c.remedy.push_back("Make the credential of " + id.name +
                         " readable by the daemon at start (a root-only file, 0600, or a systemd "
                         "credential), then restart bridgehead");
    }
  }
  if (!anyActive) {
    c.status = CheckStatus::Failed;
    c.remedy = {"No active Encryption-service Identity is configured.",
                "Please configure an active Windows Domain Encryption Service Identity."};
    if (!f.identities.empty()) {
      c.lines = {padRight("Identity", 18) + padRight("Type", 9) + padRight("Domain", 24) + "State",
                 kDashes};
      c.lines.insert(c.lines.end(), rows.begin(), rows.end());
    }
    return c;
  }
  if (c.status == CheckStatus::Failed) {
    c.lines = {padRight("Identity", 18) + padRight("Type", 9) + padRight("Domain", 24) + "State",
               kDashes};
    c.lines.insert(c.lines.end(), rows.begin(), rows.end());
  }
  return c;
}

VerifyCheck storeCheck(const EncryptionSettingsFacts& f) {
  VerifyCheck c{"Verifying Secure Store", "secure-store", CheckStatus::Ok, {}, {}};
  if (f.storeState == "open") {
    return c;
  }
  c.status = CheckStatus::Failed;
  c.lines = {"Path:   " + f.storePath, "State:  " + f.storeState};
  if (!f.storeReason.empty()) {
    c.lines.push_back("Reason: " + f.storeReason);
  }
  c.remedy = {
      "The secure store should be initialized and open (it keeps the key cache and the peering "
      "key)",
      "Check wan_secure.store (the key in its systemd credential or key file, the directory 0700 "
      "owned by the daemon's user), then restart bridgehead; bhctl show secure-store"};
  return c;
}

VerifyCheck dnsCheck(const EncryptionSettingsFacts& f) {
  VerifyCheck c{"Verifying DNS Resolution", "dns", CheckStatus::Ok, {}, {}};
  c.lines = {padRight("Name", 44) + padRight("Role", 28) + "Addresses", kDashes};
  bool failedExchange = false;
  bool failedDc = false;
  for (const auto& d : f.dns) {
    std::string addrs;
    for (const auto& a : d.addresses) {
      addrs += (addrs.empty() ? "" : " ") + a;
    }
    c.lines.push_back(padRight(d.name, 44) + padRight(d.role, 28) +
                      (d.error.empty() ? addrs : "FAILED: " + d.error));
    if (!d.error.empty()) {
      c.status = CheckStatus::Failed;
      (d.role == "Exchange server" ? failedExchange : failedDc) = true;
    }
  }
  if (f.dns.empty()) {
    c.status = CheckStatus::NotChecked;
    c.lines = {
        "(no Exchange server and no domain known to this box: name one, "
        "bhctl accelerator mapi verify encryption-settings FQDN)"};
  }
  if (failedExchange) {
    c.remedy.push_back(
        "This box should resolve the Exchange servers' FQDNs: its resolver (/etc/resolv.conf) "
        "should ask the domain's DNS");
  }
  if (failedDc) {
    c.remedy.push_back(
        "This box should resolve the KDCs (the domain controllers): _ldap._tcp.dc._msdcs.DOMAIN "
        "SRV records in the domain's DNS, or the identity's domain_controllers");
  }
  return c;
}

VerifyCheck kdcClockCheck(const EncryptionSettingsFacts& f) {
  VerifyCheck c{"Verifying Clock Offset to each KDC", "kdc-clock", CheckStatus::Ok, {}, {}};
  c.lines = {padRight("KDC", 32) + padRight("Domain", 24) + "Offset (KDC - this box)", kDashes};
  bool skew = false;
  bool silent = false;
  for (const auto& k : f.kdcs) {
    std::string v;
    if (k.offsetSeconds) {
      v = seconds(*k.offsetSeconds);
      if (std::fabs(*k.offsetSeconds) > f.maxClockSkewSeconds) {
        v += "  FAILED: beyond Kerberos's allowed skew";
        skew = true;
      }
    } else {
      v = "FAILED: " + k.error;
      silent = true;
    }
    c.lines.push_back(padRight(k.kdc, 32) + padRight(k.domain, 24) + v);
  }
  if (f.kdcs.empty()) {
    c.status = CheckStatus::NotChecked;
    c.lines = {"(no KDC to ask: no active User or Machine identity, or no DC found)"};
    return c;
  }
  if (skew) {
    char lim[32];
    std::snprintf(lim, sizeof(lim), "%.0f", f.maxClockSkewSeconds);
    c.remedy.push_back(std::string("This box's clock should be within ") + lim +
                       " s of each KDC's: sync it once (chronyc makestep, or ntpdate KDC), then "
                       "point its time daemon to the enterprise NTP server");
  }
  if (silent) {
    c.remedy.push_back(
        "Each KDC should answer on TCP 88 from this box (routes, firewall, the DC's KDC "
        "service)");
  }
  c.status = skew || silent ? CheckStatus::Failed : CheckStatus::Ok;
  return c;
}

VerifyCheck keyRetrievalCheck(const EncryptionSettingsFacts& f) {
  VerifyCheck c{"Verifying Key Retrieval per Identity", "key-retrieval", CheckStatus::Ok, {}, {}};
  c.lines = {padRight("Identity", 18) + padRight("Exchange server", 32) + "Result", kDashes};
  bool notTried = false;
  for (const auto& r : f.retrievals) {
    using O = KeyRetrievalFacts::Outcome;
    std::string result;
    switch (r.outcome) {
      case O::Retrieved: {
        char t[32];
        std::snprintf(t, sizeof(t), "%.1f s", r.seconds);
        result = "retrieved in " + std::string(t) + ": " + r.keys;
        break;
      }
      case O::AlreadyCached:
        result = "already in the memory key cache (not fetched again): " + r.keys;
        break;
      case O::Failed:
        result = "FAILED: " + r.failure;
        c.status = CheckStatus::Failed;
        for (const auto& m : r.remedy) {
          c.remedy.push_back(m);
        }
        break;
      case O::StillRunning:
        result = "FAILED: still in progress when this check gave up waiting";
        c.status = CheckStatus::Failed;
        c.remedy.push_back(
            "Ask again (bhctl windows-domain diagnostics encryption-service get-key " + r.fqdn +
            " " + r.domain + "); a slow domain controller shows here");
        break;
      case O::NotTried:
        result = "not tried: no Exchange server of " + r.domain + " is known to this box";
        notTried = true;
        break;
    }
    c.lines.push_back(padRight(r.identity, 18) + padRight(r.fqdn.empty() ? "-" : r.fqdn, 32) +
                      result);
  }
  if (f.retrievals.empty()) {
    c.status = CheckStatus::NotChecked;
    c.lines = {"(no active identity)"};
    return c;
  }
  if (notTried) {
    if (c.status == CheckStatus::Ok) {
      c.status = CheckStatus::NotChecked;
    }
    c.remedy.push_back(
        "Name an Exchange server of each such domain: bhctl accelerator mapi verify "
        "encryption-settings FQDN...");
  }
  return c;
}

}  // namespace

bool VerifyPart::ok() const {
  for (const auto& c : checks) {
    if (c.status == CheckStatus::Failed) {
      return false;
    }
  }
  return true;
}

const char* checkStatusName(CheckStatus s) {
  switch (s) {
    case CheckStatus::Ok:
      return "OK";
    case CheckStatus::Failed:
      return "FAILED";
    case CheckStatus::NotChecked:
      return "NOT CHECKED";
  }
  return "?";
}

VerifyReport verifyEncryptionSettings(const EncryptionSettingsFacts& f) {
  VerifyReport r;
  r.edge.name = "EDGE";
  r.edge.checks.push_back(stateCheck(
      "Verifying Mapi Accelerator State", "mapi-accelerator", "Accelerator", "mapi", f.mapi,
      "Mapi Accelerator should be Enabled (accelerators.mapi.enabled true, then bhctl reload)",
      "Mapi Accelerator should be in Running state"));
  r.edge.checks.push_back(stateCheck(
      "Verifying SSL Accelerator State", "ssl-accelerator", "Accelerator", "ssl", f.ssl,
      "SSL Accelerator should be Enabled (it starts when a class's wan_secure mode is \"auto\" or "
      "\"always\", or on a core running the encryption service)",
      "SSL Accelerator should be in Running state (the peering identity and the TLS contexts: "
      "bhctl show secure-store, show crypto certificates, the journal)"));
  r.edge.checks.push_back(stateCheck(
      "Verifying Wan-secure State", "wan-secure", "Accelerator", "wan-secure", f.wanSecure,
      "Wan-secure should be Enabled (wan_secure.mode.mapi always, then bhctl reload)",
      "Wan-secure should be in Running state (bhctl show statistics wan-secure)"));
  r.edge.checks.push_back(mapiClassCheck(f));
  r.edge.checks.push_back(wanSecureModeCheck(f));
  r.edge.checks.push_back(ntpCheck(f.ntp));

  r.core.name = "CORE";
  if (!f.coreRole) {
    r.core.applicable = false;
    r.core.notApplicable = "this box's role is " + f.role + " (device.role): it fetches no keys";
    return r;
  }
  r.core.checks.push_back(stateCheck(
      "Verifying encryption-service State", "encryption-service", "Service", "Encryption-service",
      f.encryptionService,
      "Encryption Service should be Enabled (encryption_service.enabled true, then bhctl reload)",
      "Encryption Service status should be in 'Running' state"));
  r.core.checks.push_back(identityCheck(f));
  if (!f.encryptionService.configEnabled) {
    return r;  // nothing below runs without the service
  }
  r.core.checks.push_back(storeCheck(f));
  r.core.checks.push_back(dnsCheck(f));
  r.core.checks.push_back(kdcClockCheck(f));
  r.core.checks.push_back(keyRetrievalCheck(f));
  return r;
}

}  // namespace bh::accel
