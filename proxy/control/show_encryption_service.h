#pragma once

// The encryption service's commands (core): the seed's
// `windows-domain diagnostics encryption-service get-key FQDN DOMAIN` and
// `show windows-domain encryption-service` (identities, the memory key cache, retrievals). Key
// bytes are never part of an answer: etypes and kvnos only.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "secure/encryption_service/encryption_service.h"

namespace bh::proxy {

/// The seed's get-key answer: "SPN FQDN, Domain name: DOMAIN" then "Key retrieval is in
/// progress." or "Key for FQDN resides in memory key cache" (with etypes, kvno, age, identity), or
/// the failure with its `>>` remedy lines.
nlohmann::json getKeyReply(const std::string& fqdn, const std::string& domain,
                           const secure::encryption_service::KeyLookup& lookup, int64_t nowS);

nlohmann::json showEncryptionService(const secure::encryption_service::EncryptionService& service,
                                     int64_t nowS);

}  // namespace bh::proxy
