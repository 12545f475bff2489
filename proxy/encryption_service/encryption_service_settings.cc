#include "proxy/encryption_service/encryption_service_settings.h"

namespace bh::proxy {

namespace es = secure::encryption_service;

es::EncryptionServiceConfig encryptionServiceConfig(const policy::EncryptionServiceSettings& s) {
  es::EncryptionServiceConfig c;
  c.enabled = s.enabled;
  c.timeoutMs = s.timeoutMs;
  c.retryAfterSeconds = s.retryAfterSeconds;
  c.maxRetrievalsInFlight = s.maxRetrievals;
  for (const auto& p : s.identities) {
    es::Identity id;
    id.name = p.name;
    id.kind = p.type == "machine"  ? es::IdentityKind::Machine
              : p.type == "keytab" ? es::IdentityKind::Keytab
                                   : es::IdentityKind::User;
    id.domain = p.domain;
    id.realm = p.realm;
    id.principal = p.principal;
    id.passwordFile = p.passwordFile;
    id.passwordCredential = p.passwordCredential;
    id.keytab = p.keytab;
    id.domainControllers = p.domainControllers;
    id.active = p.active;
    c.identities.push_back(std::move(id));
  }
  return c;
}

}  // namespace bh::proxy
