#pragma once
// What a Kerberos / GSS-API step failed on, as a value the encryption service can show and act
// on (issue 17: wrong password, client or SPN unknown to the directory, clock skew, KDC
// unreachable, each named). GSS-API reports a major status (RFC 2744 3.9.1) and a mechanism
// minor status, which for the krb5 mechanism is a krb5_error_code; the name comes from the
// minor status when it says more than the major one.

#include <cstdint>
#include <string>

namespace bh::secure::kerberos {

enum class GssFailure {
  None,
  WrongPassword,     ///< KDC_ERR_PREAUTH_FAILED (or the AS-REP does not decrypt:
                     ///< KRB_AP_ERR_BAD_INTEGRITY)
  ClientUnknown,     ///< KDC_ERR_C_PRINCIPAL_UNKNOWN: the identity is not in the directory
  ServerUnknown,     ///< KDC_ERR_S_PRINCIPAL_UNKNOWN: no account holds the target SPN
  ClockSkew,         ///< KRB_AP_ERR_SKEW: our clock and the KDC's (or the server's) differ too much
  KdcUnreachable,    ///< KRB5_KDC_UNREACH: no KDC of the realm answered
  RealmUnknown,      ///< no KDC known or resolvable for the realm (krb5.conf, DNS)
  PasswordExpired,   ///< KDC_ERR_KEY_EXP
  ClientRevoked,     ///< KDC_ERR_CLIENT_REVOKED: account disabled, locked or expired
  KeytabNoKey,       ///< the client keytab is missing or holds no key for the principal
  MutualAuthFailed,  ///< the server's AP-REP (or its token) did not verify
  VerifyFailed,      ///< a sealed message did not verify (GSS_S_BAD_SIG / BAD_MIC)
  ReplayOrSequence,  ///< a duplicate, old, out-of-order or missing message (GSS_S_*_TOKEN)
  ContextExpired,    ///< the ticket behind the security context has expired
  BadInput,          ///< our own input was refused (an unparsable name, a token too long)
  Other,             ///< anything else: see the text
};

/// A stable name for the failure ("KDC_ERR_PREAUTH_FAILED", "KRB_AP_ERR_SKEW", ...): the
/// protocol's own name where it has one.
const char* gssFailureName(GssFailure failure);

/// One GSS-API or krb5 step's outcome. `text` is operator text (MIT's messages, a principal or
/// SPN name); it never holds a password, key or ticket byte.
struct GssStatus {
  GssFailure failure = GssFailure::None;
  uint32_t major = 0;  ///< GSS-API major status (0 for a bare krb5 call)
  int32_t minor = 0;   ///< krb5_error_code (the mechanism's minor status)
  std::string text;

  bool ok() const { return failure == GssFailure::None; }
  /// "KDC_ERR_PREAUTH_FAILED: <text>".
  std::string describe() const;

  static GssStatus success() { return {}; }
  static GssStatus fail(GssFailure failure, std::string text) {
    return {failure, 0, 0, std::move(text)};
  }
};

/// The failure a krb5 error code names (None for 0, Other when it names none of ours).
GssFailure classifyKrb5Error(int32_t code);
/// The failure a GSS-API major and krb5 minor status name together: the minor status first (it
/// says why a KDC refused), then the major's routine error.
GssFailure classifyGssStatus(uint32_t major, int32_t minor);

}  // namespace bh::secure::kerberos
