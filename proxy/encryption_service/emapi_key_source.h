#pragma once

// eMAPI's service keys from the encryption service (issue 18): what the core's
// KerberosProtectionProvider (secure/emapi/kerberos_protection_provider.h) asks when a client's
// sealed bind names exchangeMDB/<host>. Keys in the cache are copied out for that one bind;
// otherwise the answer names why, in the words `show windows-domain encryption-service` and the
// sr-errorlog use (retrieval in progress, the failure and its identity, the service disabled).
// A ticket with a newer kvno than the cached keys starts a refresh (the cached keys stay: older
// tickets still open with them).

#include "proxy/encryption_service/encryption_service_host.h"
#include "secure/emapi/kerberos_protection_provider.h"

namespace bh::proxy {

class EmapiKeySource final : public secure::emapi::ServiceKeySource {
 public:
  explicit EmapiKeySource(EncryptionServiceHost& host) : host_(host) {}
  secure::emapi::ServiceKeyAnswer keysFor(const std::string& spn, uint32_t ticketKvno) override;

 private:
  EncryptionServiceHost& host_;
};

}  // namespace bh::proxy
