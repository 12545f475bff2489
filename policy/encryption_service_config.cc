#include "policy/encryption_service_config.h"

#include <set>

#include "policy/json_reader.h"

namespace bh::policy {

namespace {

using nlohmann::json;

bool absolutePath(const std::string& p) {
  return !p.empty() && p.front() == '/';
}

/// A domain or realm: DNS labels (letters, digits, '-', '.'), no leading or trailing dot.
bool isDomainName(const std::string& d) {
  if (d.empty() || d.size() > 253 || d.front() == '.' || d.back() == '.') {
    return false;
  }
  for (char c : d) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.')) {
      return false;
    }
  }
  return d.find("..") == std::string::npos;
}

std::string lower(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

void loadIdentity(const json& j, const std::string& path, EncryptionIdentityConfig& id,
                  ConfigErrors& errors) {
  ObjectReader r(j, path, errors);
  if (!r.valid()) {
    return;
  }
  r.string("name", id.name, true);
  if (r.field("name") != nullptr && r.field("name")->is_string()) {
    checkName(id.name, r.path("name"), "identity name", errors);
  }
  enumField<std::string>(r, "type", id.type,
                         {{"user", "user"}, {"machine", "machine"}, {"keytab", "keytab"}});
  r.string("domain", id.domain, true);
  if (r.field("domain") != nullptr && r.field("domain")->is_string() && !isDomainName(id.domain)) {
    r.error("domain", "'" + id.domain + "' is not a DNS domain name (e.g. example.com)");
  }
  r.string("realm", id.realm);
  if (!id.realm.empty() && !isDomainName(id.realm)) {
    r.error("realm", "'" + id.realm + "' is not a Kerberos realm (e.g. EXAMPLE.COM)");
  }
  r.string("principal", id.principal);
  r.string("password_file", id.passwordFile);
  r.string("password_credential", id.passwordCredential);
  r.string("keytab", id.keytab);
  r.boolean("active", id.active);
  if (const json* dcs = r.field("domain_controllers")) {
    if (expectArray(*dcs, r.path("domain_controllers"), errors)) {
      if (dcs->size() > EncryptionServiceSettings::kMaxDomainControllers) {
        r.error("domain_controllers",
                "more than " + std::to_string(EncryptionServiceSettings::kMaxDomainControllers));
      }
      for (size_t i = 0; i < dcs->size(); ++i) {
        std::string p = pointerJoin(r.path("domain_controllers"), i);
        if (expectString((*dcs)[i], p, errors)) {
          std::string dc = (*dcs)[i].get<std::string>();
          if (dc.empty() || dc.find_first_of(" \t/") != std::string::npos) {
            errors.push_back({p, "'" + dc + "' is not an address or host name"});
          } else {
            id.domainControllers.push_back(dc);
          }
        }
      }
    }
  }
  // What each kind needs, so a typo is a refused configuration, not a failed retrieval later.
  if (id.type == "user") {
    if (id.principal.empty()) {
      r.error("principal", "a user identity needs its principal (the AD account)");
    }
    if (id.passwordFile.empty() == id.passwordCredential.empty()) {
      r.error("password_file",
              "a user identity needs exactly one of password_file and password_credential");
    }
    if (!id.keytab.empty()) {
      r.error("keytab", "a user identity has a password, not a keytab");
    }
  } else if (id.type == "machine") {
    if (id.principal.empty()) {
      r.error("principal", "a machine identity needs the box's account (e.g. CORE1$)");
    }
    if (id.keytab.empty()) {
      id.keytab = "/etc/krb5.keytab";
    }
  } else if (id.type == "keytab") {
    if (id.keytab.empty()) {
      r.error("keytab", "a keytab identity needs the keytab exported for the Exchange account");
    }
  }
  if (id.type != "user" && (!id.passwordFile.empty() || !id.passwordCredential.empty())) {
    r.error("password_file", "only a user identity has a password");
  }
  if (!id.passwordFile.empty() && !absolutePath(id.passwordFile)) {
    r.error("password_file", "expected an absolute file path");
  }
  if (!id.keytab.empty() && !absolutePath(id.keytab)) {
    r.error("keytab", "expected an absolute file path");
  }
  if (id.passwordCredential.find('/') != std::string::npos) {
    r.error("password_credential", "expected a credential name without '/'");
  }
  r.finish();
}

}  // namespace

void loadEncryptionService(const json& j, Config& c, ConfigErrors& errors) {
  ObjectReader r(j, "/encryption_service", errors);
  EncryptionServiceSettings& s = c.encryptionService;
  r.boolean("enabled", s.enabled);
  r.unsignedInt("timeout_ms", s.timeoutMs, 1000, 300000);
  r.unsignedInt("retry_after_s", s.retryAfterSeconds, 1, 86400);
  r.unsignedInt("max_retrievals", s.maxRetrievals, 1, 16);
  if (const json* ids = r.field("identities")) {
    if (expectArray(*ids, r.path("identities"), errors)) {
      if (ids->size() > EncryptionServiceSettings::kMaxIdentities) {
        r.error("identities",
                "more than " + std::to_string(EncryptionServiceSettings::kMaxIdentities));
      } else {
        std::set<std::string> names;
        std::set<std::string> domains;
        for (size_t i = 0; i < ids->size(); ++i) {
          std::string path = pointerJoin(r.path("identities"), i);
          EncryptionIdentityConfig id;
          loadIdentity((*ids)[i], path, id, errors);
          if (!id.name.empty() && !names.insert(id.name).second) {
            errors.push_back({path + "/name", "a second identity named '" + id.name + "'"});
          }
          // One active identity per domain (seed Resolution 3: an identity per domain).
          if (id.active && !id.domain.empty() && !domains.insert(lower(id.domain)).second) {
            errors.push_back({path + "/domain", "a second active identity for domain '" +
                                                    id.domain + "' (one per domain)"});
          }
          s.identities.push_back(std::move(id));
        }
      }
    }
  }
  if (s.enabled && s.identities.empty()) {
    r.error("identities", "the encryption service is enabled but has no identity");
  }
  r.finish();
}

json encryptionServiceRunningConfig(const EncryptionServiceSettings& s) {
  json ids = json::array();
  for (const auto& id : s.identities) {
    json one = {{"name", id.name},
                {"type", id.type},
                {"domain", id.domain},
                {"active", id.active},
                {"domain_controllers", id.domainControllers}};
    for (const auto& [k, v] : {std::pair<const char*, const std::string*>{"realm", &id.realm},
                               {"principal", &id.principal},
                               {"password_file", &id.passwordFile},
                               {"password_credential", &id.passwordCredential},
                               {"keytab", &id.keytab}}) {
      if (!v->empty()) {
        one[k] = *v;
      }
    }
    ids.push_back(std::move(one));
  }
  return {{"enabled", s.enabled},
          {"timeout_ms", s.timeoutMs},
          {"retry_after_s", s.retryAfterSeconds},
          {"max_retrievals", s.maxRetrievals},
          {"identities", std::move(ids)}};
}

}  // namespace bh::policy
