#include "secure/kerberos/gss_status.h"

#include <gssapi/gssapi.h>
#include <krb5.h>

#include <cerrno>

namespace bh::secure::kerberos {

const char* gssFailureName(GssFailure failure) {
  switch (failure) {
    case GssFailure::None:
      return "ok";
    case GssFailure::WrongPassword:
      return "KDC_ERR_PREAUTH_FAILED";
    case GssFailure::ClientUnknown:
      return "KDC_ERR_C_PRINCIPAL_UNKNOWN";
    case GssFailure::ServerUnknown:
      return "KDC_ERR_S_PRINCIPAL_UNKNOWN";
    case GssFailure::ClockSkew:
      return "KRB_AP_ERR_SKEW";
    case GssFailure::KdcUnreachable:
      return "KDC_UNREACHABLE";
    case GssFailure::RealmUnknown:
      return "REALM_UNKNOWN";
    case GssFailure::PasswordExpired:
      return "KDC_ERR_KEY_EXPIRED";
    case GssFailure::ClientRevoked:
      return "KDC_ERR_CLIENT_REVOKED";
    case GssFailure::KeytabNoKey:
      return "KEYTAB_NO_KEY";
    case GssFailure::MutualAuthFailed:
      return "MUTUAL_AUTH_FAILED";
    case GssFailure::VerifyFailed:
      return "GSS_S_BAD_SIG";
    case GssFailure::ReplayOrSequence:
      return "GSS_S_SEQUENCE";
    case GssFailure::ContextExpired:
      return "GSS_S_CONTEXT_EXPIRED";
    case GssFailure::BadInput:
      return "BAD_INPUT";
    case GssFailure::Other:
      return "GSS_FAILURE";
  }
  return "GSS_FAILURE";
}

std::string GssStatus::describe() const {
  if (ok()) {
    return "ok";
  }
  std::string s = gssFailureName(failure);
  if (!text.empty()) {
    s += ": " + text;
  }
  return s;
}

GssFailure classifyKrb5Error(int32_t code) {
  switch (code) {
    case 0:
      return GssFailure::None;
    case KRB5KDC_ERR_PREAUTH_FAILED:
    case KRB5KRB_AP_ERR_BAD_INTEGRITY:  // RFC 4120 5.9.1: the AS-REP's enc-part did not decrypt
    case KRB5_PREAUTH_FAILED:
      return GssFailure::WrongPassword;
    case KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN:
      return GssFailure::ClientUnknown;
    case KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN:
      return GssFailure::ServerUnknown;
    case KRB5KRB_AP_ERR_SKEW:
      return GssFailure::ClockSkew;
    case KRB5_KDC_UNREACH:
      return GssFailure::KdcUnreachable;
    case KRB5_REALM_UNKNOWN:
    case KRB5_REALM_CANT_RESOLVE:
    case KRB5_CONFIG_NODEFREALM:
      return GssFailure::RealmUnknown;
    case KRB5KDC_ERR_KEY_EXP:
      return GssFailure::PasswordExpired;
    case KRB5KDC_ERR_CLIENT_REVOKED:
      return GssFailure::ClientRevoked;
    case KRB5_KT_NOTFOUND:
    case KRB5_KT_END:
    case ENOENT:
      return GssFailure::KeytabNoKey;
    case KRB5KRB_AP_ERR_MODIFIED:
    case KRB5_BAD_MSIZE:
      return GssFailure::MutualAuthFailed;
    case KRB5KRB_AP_ERR_TKT_EXPIRED:
      return GssFailure::ContextExpired;
    case KRB5_PARSE_MALFORMED:
      return GssFailure::BadInput;
    default:
      return GssFailure::Other;
  }
}

GssFailure classifyGssStatus(uint32_t major, int32_t minor) {
  if (!GSS_ERROR(major) && (major & (GSS_S_DUPLICATE_TOKEN | GSS_S_OLD_TOKEN | GSS_S_UNSEQ_TOKEN |
                                     GSS_S_GAP_TOKEN)) == 0) {
    return GssFailure::None;
  }
  GssFailure fromMinor = classifyKrb5Error(minor);
  if (fromMinor != GssFailure::None && fromMinor != GssFailure::Other) {
    return fromMinor;
  }
  switch (GSS_ROUTINE_ERROR(major)) {
    case GSS_S_BAD_SIG:
      return GssFailure::VerifyFailed;
    case GSS_S_CONTEXT_EXPIRED:
    case GSS_S_CREDENTIALS_EXPIRED:
      return GssFailure::ContextExpired;
    case GSS_S_DEFECTIVE_TOKEN:
    case GSS_S_DEFECTIVE_CREDENTIAL:
      return GssFailure::MutualAuthFailed;
    case GSS_S_BAD_NAME:
    case GSS_S_BAD_NAMETYPE:
      return GssFailure::BadInput;
    case 0:
      // Supplementary bits only (RFC 2743 1.2.3): a replayed, stale or out-of-order token.
      return GssFailure::ReplayOrSequence;
    default:
      return GssFailure::Other;
  }
}

}  // namespace bh::secure::kerberos
