#pragma once

// Why a key retrieval failed, named the way the seed's "Common Problems" name it, so an engineer
// reads the cause (and the remedy) instead of a GSS status code. Each failure has the sr-errorlog
// line, the `>>` remedy lines of `verify encryption-settings`, and whether it blacklists the
// identity (only a directory that refuses the identity's rights does: retrying cannot help until
// the configuration or the directory changes).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bh::secure::encryption_service {

enum class RetrievalFailure {
  /// Problem 3: no identity of the Exchange server's domain (a parent's does not cover it).
  NoIdentityForDomain,
  /// An earlier permission failure blacklisted the identity; not retried until it changes.
  IdentityBlacklisted,
  /// Problem 1: the directory refused replication (ERROR_DS_DRA_ACCESS_DENIED, 0x2105).
  PermissionDenied,
  /// Problem 2: the core's clock and the KDC's differ beyond the allowed skew (KRB_AP_ERR_SKEW).
  ClockSkew,
  /// The identity's password is wrong (KDC_ERR_PREAUTH_FAILED) or its keytab key is stale.
  WrongPassword,
  /// The identity's principal is unknown to the KDC (KDC_ERR_C_PRINCIPAL_UNKNOWN).
  ClientUnknown,
  /// The Exchange SPN is unknown to the directory (KDC_ERR_S_PRINCIPAL_UNKNOWN on the
  /// exchangeMDB ticket, or DsCrackNames DS_NAME_ERROR_NOT_FOUND).
  SpnUnknown,
  /// No KDC answered (connection refused, timed out, or none found for the realm).
  KdcUnreachable,
  /// The domain controller's DRSUAPI endpoint did not answer within the timeout.
  DcUnreachable,
  /// The password file or credential, or the keytab, could not be read.
  CredentialUnreadable,
  /// A keytab identity's keytab has no key for the SPN's account.
  NoKeyInKeytab,
  /// The DC answered something we could not parse or did not expect: named with its detail.
  ProtocolError,
};

struct RetrievalError {
  RetrievalFailure kind = RetrievalFailure::ProtocolError;
  /// What exactly: the DC or KDC address, the status code, the file; never a secret.
  std::string detail;
  /// ClockSkew: the KDC's clock minus ours, measured from the KDC's own answer (seconds).
  std::optional<int64_t> clockOffsetSeconds;
};

/// A short stable name ("permission", "clock-skew", ...): statistics keys and --json.
const char* failureName(RetrievalFailure f);
/// True when the failure is the identity's own (its password, rights, clock, credentials), so
/// that its AUTH_STATUS shows it; an SPN the directory or keytab lacks is not.
bool isIdentityFailure(RetrievalFailure f);
/// True when this failure blacklists the identity (seed Problem 1).
bool blacklistsIdentity(RetrievalFailure f);
/// The sr-errorlog line, in the seed's words where the seed has them
/// ("Key retrieval failed due to permission", "Failed to find identity match for domain X").
std::string describeFailure(const RetrievalError& e, const std::string& identity,
                            const std::string& domain);
/// The remedy, one `>>` line each without the `>>` (verify encryption-settings and get-key).
std::vector<std::string> failureRemedy(const RetrievalError& e, const std::string& identity,
                                       const std::string& domain);

}  // namespace bh::secure::encryption_service
