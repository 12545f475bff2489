#include "secure/default_identity.h"

#include <openssl/crypto.h>

namespace bh::secure {

namespace {

ByteSpan spanOf(const std::string& s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

}  // namespace

Outcome<PeeringIdentity> loadOrCreateDefaultIdentity(SecureStore& store,
                                                     const std::string& commonName) {
  using R = Outcome<PeeringIdentity>;
  if (store.state() != SecureStoreState::Open) {
    return R::failure("default peering identity needs an open secure store (it is " +
                      std::string(secureStoreStateName(store.state())) + ")");
  }
  if (store.contains(kPeeringKeyEntry)) {
    auto key = store.get(kPeeringKeyEntry);
    auto cert = store.get(kPeeringCertificateEntry);
    if (!key.ok() || !cert.ok()) {
      return R::failure("default peering identity: " + (key.ok() ? cert.error() : key.error()));
    }
    std::string keyPem(key.value().begin(), key.value().end());
    OPENSSL_cleanse(key.value().data(), key.value().size());
    auto id =
        PeeringIdentity::fromPem(std::string(cert.value().begin(), cert.value().end()), keyPem);
    OPENSSL_cleanse(keyPem.data(), keyPem.size());
    return id;
  }
  auto id = PeeringIdentity::generateSelfSigned(commonName, 3650);
  if (!id.ok()) {
    return id;
  }
  std::string keyPem = id.value().privateKeyPem();
  auto k = store.put(kPeeringKeyEntry, spanOf(keyPem));
  OPENSSL_cleanse(keyPem.data(), keyPem.size());
  auto c = store.put(kPeeringCertificateEntry, spanOf(id.value().certificatePem()));
  if (!k.ok() || !c.ok()) {
    return R::failure("default peering identity: " + (k.ok() ? c.error() : k.error()));
  }
  return id;
}

}  // namespace bh::secure
