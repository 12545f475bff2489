#include "secure/encryption_service/identity.h"

#include <algorithm>
#include <cctype>

namespace bh::secure::encryption_service {

const char* identityKindName(IdentityKind k) {
  switch (k) {
    case IdentityKind::User:
      return "User";
    case IdentityKind::Machine:
      return "Machine";
    case IdentityKind::Keytab:
      return "Keytab";
  }
  return "?";
}

std::string canonicalName(std::string_view name) {
  std::string s(name);
  while (!s.empty() && s.back() == '.') {
    s.pop_back();
  }
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string domainOfHost(std::string_view fqdn) {
  std::string host = canonicalName(fqdn);
  auto dot = host.find('.');
  if (dot == std::string::npos || dot + 1 >= host.size()) {
    return "";
  }
  return host.substr(dot + 1);
}

std::string Identity::effectiveRealm() const {
  if (!realm.empty()) {
    return realm;
  }
  std::string r = canonicalName(domain);
  std::transform(r.begin(), r.end(), r.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return r;
}

std::string Identity::clientPrincipal() const {
  if (principal.find('@') != std::string::npos) {
    return principal;
  }
  return principal + "@" + effectiveRealm();
}

std::string Identity::fingerprint() const {
  // Field separator that cannot appear in a name, path or principal read from JSON text we
  // accept (the loader refuses control characters in these fields).
  const char sep = '\x1f';
  std::string f;
  for (const std::string* s :
       {&name, &domain, &realm, &principal, &passwordFile, &passwordCredential, &keytab}) {
    f += *s;
    f += sep;
  }
  for (const auto& dc : domainControllers) {
    f += dc;
    f += ',';
  }
  f += sep;
  f += identityKindName(kind);
  f += sep;
  f += active ? "1" : "0";
  return f;
}

IdentityMatch matchIdentity(const std::vector<Identity>& identities, std::string_view domain) {
  IdentityMatch m;
  std::string want = canonicalName(domain);
  if (want.empty()) {
    return m;
  }
  for (const auto& id : identities) {
    if (id.active && canonicalName(id.domain) == want) {
      m.identity = &id;
      return m;
    }
  }
  // No identity of its own: is there one of a parent domain the operator may have meant to
  // cover it with? The longest such parent is the one to name.
  for (const auto& id : identities) {
    std::string d = canonicalName(id.domain);
    if (!id.active || d.empty() || d.size() >= want.size()) {
      continue;
    }
    bool parent = want.compare(want.size() - d.size(), d.size(), d) == 0 &&
                  want[want.size() - d.size() - 1] == '.';
    if (parent && d.size() > m.parentDomain.size()) {
      m.parentIdentity = id.name;
      m.parentDomain = d;
    }
  }
  return m;
}

}  // namespace bh::secure::encryption_service
