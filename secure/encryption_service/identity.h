#pragma once

// The encryption service's identities (the seed's "Windows Domain Encryption Service Identity"):
// who the core is when it asks a domain for an Exchange server's keys, one per domain. The seed's
// Resolution 3 is a rule here, not a hint: an identity covers exactly its own domain, so an
// Exchange server in sub.example.com needs an identity of sub.example.com; one of example.com does
// not cover it.

#include <string>
#include <string_view>
#include <vector>

namespace bh::secure::encryption_service {

/// How an identity proves itself (seed Step 1: a user account, or the core's machine account
/// after joining), or, for sites that grant no replication rights, no identity at all: the keys
/// come from a keytab exported for the Exchange server's account.
enum class IdentityKind { User, Machine, Keytab };

const char* identityKindName(
    IdentityKind k);  ///< "User", "Machine", "Keytab" (the seed's ACCT_TYPE)

struct Identity {
  /// The seed's identity tag ("ID_TAG"), e.g. "WAASMacAct": what the logs and show name.
  std::string name;
  IdentityKind kind = IdentityKind::User;
  /// The DNS domain it serves, e.g. "example.com" (compared without regard to case).
  std::string domain;
  /// The Kerberos realm; "" = the domain in upper case (what AD uses).
  std::string realm;
  /// User: the account ("svc-waas" or "svc-waas@REALM"). Machine: the joined box's account
  /// ("CORE1$"). Keytab: unused (the keytab's entries name the Exchange account).
  std::string principal;
  /// User: where the password is (a root-only file, or a systemd credential's name); read when a
  /// retrieval starts, never kept in the configuration or logged.
  std::string passwordFile;
  std::string passwordCredential;
  /// Machine: the box's keytab (default /etc/krb5.keytab). Keytab: the exported keytab.
  std::string keytab;
  /// The domain controllers to ask (addresses or names); empty: the domain's own DNS name,
  /// which AD resolves to its DCs.
  std::vector<std::string> domainControllers;
  /// Inactive identities are kept in the configuration but never used ("Activate Id").
  bool active = true;

  /// The realm to use: `realm` or the domain in upper case.
  std::string effectiveRealm() const;
  /// The client principal with its realm ("svc-waas@EXAMPLE.COM").
  std::string clientPrincipal() const;
  /// Everything that, when changed, makes it a different identity (the blacklist of an identity
  /// ends when its configuration changes); no secret is part of it (the password is in a file).
  std::string fingerprint() const;
};

/// The domain an Exchange server's FQDN is in: everything after its first label
/// ("exch1.sub.example.com" -> "sub.example.com"); "" when it has no dot. Lower case, no
/// trailing dot.
std::string domainOfHost(std::string_view fqdn);

/// Lower case, without a trailing dot: how domains and SPNs compare (DNS names and AD SPNs are
/// case-insensitive).
std::string canonicalName(std::string_view name);

/// The identity that covers `domain`, or why none does.
struct IdentityMatch {
  const Identity* identity = nullptr;
  /// With no match: an active identity of a parent domain that does not cover this one (the
  /// seed's Resolution 3), named so the log can say so; "" when there is none.
  std::string parentIdentity;
  std::string parentDomain;
};

/// The active identity whose domain equals `domain` (case-insensitive). The first such one in
/// configuration order wins; the configuration loader refuses two active identities for one
/// domain, so there is no tie in practice.
IdentityMatch matchIdentity(const std::vector<Identity>& identities, std::string_view domain);

}  // namespace bh::secure::encryption_service
