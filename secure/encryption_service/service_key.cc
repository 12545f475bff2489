#include "secure/encryption_service/service_key.h"

#include <openssl/crypto.h>

#include <algorithm>

namespace bh::secure::encryption_service {

std::string etypeName(int32_t etype) {
  switch (etype) {
    case kEtypeAes256:
      return "aes256-cts-hmac-sha1-96";
    case kEtypeAes128:
      return "aes128-cts-hmac-sha1-96";
    case kEtypeRc4:
      return "arcfour-hmac";
    default:
      return "etype " + std::to_string(etype);
  }
}

void wipe(Bytes& b) {
  if (!b.empty()) {
    OPENSSL_cleanse(b.data(), b.size());
  }
  b.clear();
}

SpnKeys::~SpnKeys() {
  for (auto& k : keys) {
    wipe(k.value);
  }
}

uint32_t SpnKeys::kvno() const {
  uint32_t v = 0;
  for (const auto& k : keys) {
    v = std::max(v, k.kvno);
  }
  return v;
}

const ServiceKey* SpnKeys::find(int32_t etype, uint32_t wantKvno) const {
  for (const auto& k : keys) {
    if (k.etype == etype && k.kvno == wantKvno) {
      return &k;
    }
  }
  return nullptr;
}

std::string SpnKeys::describe() const {
  std::string s;
  for (const auto& k : keys) {
    s += (s.empty() ? "" : ", ") + etypeName(k.etype) + " kvno " + std::to_string(k.kvno);
  }
  return s.empty() ? "no keys" : s;
}

}  // namespace bh::secure::encryption_service
