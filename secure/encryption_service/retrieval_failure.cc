#include "secure/encryption_service/retrieval_failure.h"

#include <cstdlib>

namespace bh::secure::encryption_service {

namespace {

std::string withDetail(std::string s, const std::string& detail) {
  return detail.empty() ? s : s + " (" + detail + ")";
}

/// "-600 s: this box's clock is 600 s ahead of the KDC's" (the offset is the KDC's clock minus
/// ours, as secure/kerberos/kdc_clock.h measures it).
std::string offsetText(int64_t s) {
  std::string sign = s > 0 ? "+" : s < 0 ? "-" : "";
  return "offset " + sign + std::to_string(std::llabs(s)) + " s (KDC minus this box): " +
         (s == 0 ? std::string("the clocks agree")
                 : "this box's clock is " + std::to_string(std::llabs(s)) + " s " +
                       (s < 0 ? "ahead of" : "behind") + " the KDC's");
}

}  // namespace

const char* failureName(RetrievalFailure f) {
  switch (f) {
    case RetrievalFailure::NoIdentityForDomain:
      return "no-identity";
    case RetrievalFailure::IdentityBlacklisted:
      return "blacklisted";
    case RetrievalFailure::PermissionDenied:
      return "permission";
    case RetrievalFailure::ClockSkew:
      return "clock-skew";
    case RetrievalFailure::WrongPassword:
      return "wrong-password";
    case RetrievalFailure::ClientUnknown:
      return "identity-unknown";
    case RetrievalFailure::SpnUnknown:
      return "spn-unknown";
    case RetrievalFailure::KdcUnreachable:
      return "kdc-unreachable";
    case RetrievalFailure::DcUnreachable:
      return "dc-unreachable";
    case RetrievalFailure::CredentialUnreadable:
      return "credential-unreadable";
    case RetrievalFailure::NoKeyInKeytab:
      return "no-key-in-keytab";
    case RetrievalFailure::ProtocolError:
      return "protocol-error";
  }
  return "?";
}

bool isIdentityFailure(RetrievalFailure f) {
  switch (f) {
    case RetrievalFailure::PermissionDenied:
    case RetrievalFailure::IdentityBlacklisted:
    case RetrievalFailure::ClockSkew:
    case RetrievalFailure::WrongPassword:
    case RetrievalFailure::ClientUnknown:
    case RetrievalFailure::KdcUnreachable:
    case RetrievalFailure::CredentialUnreadable:
      return true;
    default:
      return false;
  }
}

bool blacklistsIdentity(RetrievalFailure f) {
  return f == RetrievalFailure::PermissionDenied;
}

std::string describeFailure(const RetrievalError& e, const std::string& identity,
                            const std::string& domain) {
  switch (e.kind) {
    case RetrievalFailure::NoIdentityForDomain:
      return withDetail("Failed to find identity match for domain " + domain, e.detail);
    case RetrievalFailure::IdentityBlacklisted:
      return "Identity " + identity + " is black listed (key retrieval failed due to permission)" +
             "; not retried until its configuration changes";
    case RetrievalFailure::PermissionDenied:
      return withDetail("Key retrieval failed due to permission: the directory refused " +
                            identity + " replication of the account's secrets",
                        e.detail);
    case RetrievalFailure::ClockSkew:
      // The seed's GSS minor status text ("Clock skew too great"), with what it never said: by
      // how much, and which clock is ahead.
      if (e.clockOffsetSeconds) {
        return withDetail("Key retrieval failed: Clock skew too great with the KDC of " + domain +
                              ", " + offsetText(*e.clockOffsetSeconds),
                          e.detail);
      }
      return withDetail("Key retrieval failed: Clock skew too great with the KDC of " + domain +
                            " (the KDC's time could not be read)",
                        e.detail);
    case RetrievalFailure::WrongPassword:
      return withDetail(
          "Key retrieval failed: the KDC refused the password of identity " + identity, e.detail);
    case RetrievalFailure::ClientUnknown:
      return withDetail(
          "Key retrieval failed: the KDC does not know identity " + identity + "'s principal",
          e.detail);
    case RetrievalFailure::SpnUnknown:
      return withDetail("Key retrieval failed: the SPN is unknown to the directory of " + domain,
                        e.detail);
    case RetrievalFailure::KdcUnreachable:
      return withDetail("Key retrieval failed: no KDC of " + domain + " answered", e.detail);
    case RetrievalFailure::DcUnreachable:
      return withDetail("Key retrieval failed: the domain controller did not answer", e.detail);
    case RetrievalFailure::CredentialUnreadable:
      return withDetail(
          "Key retrieval failed: the credential of identity " + identity + " cannot be read",
          e.detail);
    case RetrievalFailure::NoKeyInKeytab:
      return withDetail(
          "Key retrieval failed: the keytab of identity " + identity + " has no key for the SPN",
          e.detail);
    case RetrievalFailure::ProtocolError:
      return withDetail("Key retrieval failed: unexpected answer from the domain controller",
                        e.detail);
  }
  return "Key retrieval failed";
}

std::vector<std::string> failureRemedy(const RetrievalError& e, const std::string& identity,
                                       const std::string& domain) {
  switch (e.kind) {
    case RetrievalFailure::NoIdentityForDomain:
      return {"Configure an encryption service identity for domain " + domain +
                  " (encryption_service.identities)",
              "An identity of a parent domain does not cover a sub-domain: the identity must be "
              "in the Exchange server's own domain"};
    case RetrievalFailure::IdentityBlacklisted:
    case RetrievalFailure::PermissionDenied:
      return {"Grant " + identity +
                  " (or a group it is in) both \"Replicating Directory Changes\" and "
                  "\"Replicating Directory Changes All\" on the domain " +
                  domain,
              "Then change or reload the identity's configuration to clear the black list"};
    case RetrievalFailure::ClockSkew:
      // Seed Resolution 2: sync with the KDC now, then keep to the enterprise NTP source.
      return {"Synchronize this box's clock with the KDC of " + domain + ": once with `ntpdate " +
                  domain + "` (or `chronyd -q 'server " + domain +
                  " iburst'`): the domain's name resolves to its DCs, the domain's time source",
              "Then keep it synchronized: chronyd or ntpd against the enterprise NTP server, "
              "preferably the KDC's own source (Kerberos allows 5 minutes of skew)"};
    case RetrievalFailure::WrongPassword:
      return {"Check the password of " + identity +
              " (its password file or credential) against the directory"};
    case RetrievalFailure::ClientUnknown:
      return {"Check the principal of " + identity + " and its realm"};
    case RetrievalFailure::SpnUnknown:
      return {
          "Use the Exchange server's real FQDN, not a load-balancer name, and check that its "
          "account carries the exchangeMDB SPN"};
    case RetrievalFailure::KdcUnreachable:
    case RetrievalFailure::DcUnreachable:
      return {"Check that this box resolves and reaches the domain controllers of " + domain +
              " (DNS, routes, firewall: TCP 88, 135 and the DRSUAPI port)"};
    case RetrievalFailure::CredentialUnreadable:
      return {
          "Check the identity's password file (root-only, readable by the daemon before it "
          "drops privileges) or its systemd credential"};
    case RetrievalFailure::NoKeyInKeytab:
      return {"Export a keytab for the Exchange server's account with its current kvno"};
    case RetrievalFailure::ProtocolError:
      return {"Capture the retrieval (tcpdump on the DC's address) and report it"};
  }
  return {};
}

}  // namespace bh::secure::encryption_service
