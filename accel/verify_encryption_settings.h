#pragma once

// `accelerator mapi verify encryption-settings` (issue 17, the seed's "Troubleshooting
// Methodology" Step 2, and what its Step 3 leaves to be done by hand): the checks, their
// verdicts and their text, from plain facts the box gathered about itself (proxy/
// verify_encryption_settings.cc gathers them: the configuration, the services' states, and the
// probes of DNS, of each KDC's clock and one key retrieval per identity, all off the loop). Pure:
// no I/O, no policy/ or secure/ types; the facts are strings, numbers and flags.
//
// The output is the seed's: an [EDGE:] part (every box in the path: MAPI AO, SSL accelerator,
// WAN secure, the MAPI class, the MAPI wan-secure mode, NTP) and a [CORE:] part ("Applicable
// only on CORE WAEs": the encryption service, its identities, and Step 3's secure store, DNS,
// KDC clocks and key retrievals), each check "Status: OK" or "Status: FAILED" with its table and
// `>>` remedy lines. A check that could not be made says "Status: NOT CHECKED" and why.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace bh::accel {

/// A service's two states as the seed's tables show them: "Config State" and "Operational State".
struct ServiceFacts {
  bool configEnabled = false;
  bool running = false;
  /// Why it is not running (shown under the table; never a secret).
  std::string reason;
};

/// One class (or EPM map) of the policy map that hands flows to the MAPI accelerator, in the
/// words of `show policy-map` ("MAPI: map adaptor EPM mapi, optimize full accelerate mapi
/// application Email-and-Messaging").
struct MapiClassFacts {
  std::string name;
  std::string match;
  std::string action;
};

/// What the kernel says of the clock's synchronization (adjtimex(2)): the one thing Linux knows
/// of NTP whichever daemon disciplines it.
struct NtpFacts {
  bool readable = false;      ///< adjtimex answered
  bool synchronized = false;  ///< not TIME_ERROR, STA_UNSYNC clear
  int64_t maxErrorUs = 0;     ///< the kernel's maximum error estimate
  /// Time daemons found running ("chronyd", "ntpd", "systemd-timesyncd"); empty: none.
  std::vector<std::string> daemons;
  std::string error;  ///< when not readable
};

/// One name this box had to resolve: an Exchange server's FQDN, a domain's SRV record, a DC.
struct DnsFacts {
  std::string name;
  std::string role;  ///< "Exchange server", "DCs of bhlab.test (SRV)", "DC of bhlab.test"
  std::vector<std::string> addresses;
  std::string error;  ///< empty when resolved
};

/// One KDC's clock, read from its KRB-ERROR (secure/kerberos/kdc_clock.h).
struct KdcClockFacts {
  std::string domain;
  std::string kdc;                      ///< the DC's name or address
  std::optional<double> offsetSeconds;  ///< the KDC's clock minus ours
  std::string answer;                   ///< the KRB-ERROR it sent ("KDC_ERR_PREAUTH_REQUIRED")
  std::string error;                    ///< when no time was read
};

/// One identity as configured and as the service sees it now.
struct IdentityFacts {
  std::string name;
  std::string kind;  ///< "User", "Machine", "Keytab"
  std::string domain;
  bool active = false;
  bool blacklisted = false;
  std::string blacklistReason;
  bool credentialsLoaded = false;
  std::string credentials;  ///< "loaded", or why not
};

/// One key retrieval made for an identity through the encryption service (get-key's path).
struct KeyRetrievalFacts {
  std::string identity;
  std::string domain;
  std::string fqdn;  ///< the Exchange server asked for; empty: none of its domain is known
  enum class Outcome { Retrieved, AlreadyCached, Failed, StillRunning, NotTried };
  Outcome outcome = Outcome::NotTried;
  std::string keys;                 ///< etypes and kvno ("aes256-cts(18) kvno 2, ..."); no bytes
  std::string failure;              ///< the sr-errorlog's sentence
  std::vector<std::string> remedy;  ///< the failure's `>>` lines, without ">>"
  double seconds = 0;               ///< how long the retrieval took (Retrieved)
};

struct EncryptionSettingsFacts {
  // --- every box in the path ([EDGE:]) ---
  ServiceFacts mapi;
  /// Our "SSL accelerator": the TLS engine WAN secure runs on (the peering identity loaded and the
  /// TLS 1.3 contexts made, secure/tls_context.h). There is no SSL AO of its own.
  ServiceFacts ssl;
  /// WAN secure on the MAPI class's peer legs.
  ServiceFacts wanSecure;
  std::vector<MapiClassFacts> mapiClasses;
  bool epmClass = false;  ///< a class accelerates the endpoint mapper (dynamic MAPI rules)
  std::string mapiWanSecureMode = "auto";  ///< never / auto / always
  bool mapiWanSecureModeUser = false;      ///< set in the configuration (else the default)
  NtpFacts ntp;
  // --- the core ([CORE:]) ---
  bool coreRole = false;
  std::string role = "core";  ///< device.role, for the not-applicable line
  ServiceFacts encryptionService;
  std::vector<IdentityFacts> identities;
  std::string storeState;  ///< uninitialized / initialized / open / locked
  std::string storePath;
  std::string storeReason;
  std::vector<DnsFacts> dns;
  std::vector<KdcClockFacts> kdcs;
  std::vector<KeyRetrievalFacts> retrievals;
  /// Kerberos's allowed clock skew (MIT's and Windows's default: 300 s).
  double maxClockSkewSeconds = 300;
};

enum class CheckStatus { Ok, Failed, NotChecked };

struct VerifyCheck {
  std::string title;  ///< "Verifying Mapi Accelerator State"
  std::string key;    ///< "mapi-accelerator" (--json)
  CheckStatus status = CheckStatus::Ok;
  /// Lines after the status: the seed's table, then any detail.
  std::vector<std::string> lines;
  /// The remedies, one `>>` line each, without the ">>".
  std::vector<std::string> remedy;
};

struct VerifyPart {
  std::string name;  ///< "EDGE" / "CORE"
  bool applicable = true;
  std::string notApplicable;  ///< why, when not
  std::vector<VerifyCheck> checks;
  bool ok() const;
};

struct VerifyReport {
  VerifyPart edge;
  VerifyPart core;
};

/// The checks and their verdicts.
VerifyReport verifyEncryptionSettings(const EncryptionSettingsFacts& facts);
/// The seed's text ("[EDGE:]", "Verifying ...", "-----", "      Status: OK", ">>...", "Summary").
std::string verifyText(const VerifyReport& report);
nlohmann::json verifyJson(const VerifyReport& report);

const char* checkStatusName(CheckStatus s);  ///< "OK", "FAILED", "NOT CHECKED"

}  // namespace bh::accel
