#pragma once

#include <string>

#include "secure/outcome.h"
#include "secure/peering_identity.h"
#include "secure/secure_store.h"

namespace bh::secure {

/// The store entries of the default identity.
inline constexpr const char* kPeeringKeyEntry = "peering-key";
inline constexpr const char* kPeeringCertificateEntry = "peering-certificate";

/// The default peering identity (as WAAS ships): the one in the open store, or, at first start,
/// a new self-signed one (PeeringIdentity::generateSelfSigned) sealed into the store so every
/// later start presents the same certificate.
Outcome<PeeringIdentity> loadOrCreateDefaultIdentity(SecureStore& store,
                                                     const std::string& commonName);

}  // namespace bh::secure
