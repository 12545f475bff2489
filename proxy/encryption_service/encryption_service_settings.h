#pragma once

// bridgehead.json's encryption_service section (policy/) in the service's terms (secure/).

#include "policy/config.h"
#include "secure/encryption_service/encryption_service.h"

namespace bh::proxy {

secure::encryption_service::EncryptionServiceConfig encryptionServiceConfig(
    const policy::EncryptionServiceSettings& settings);

}  // namespace bh::proxy
