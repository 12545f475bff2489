#include "secure/replication/encrypted_payload.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "secure/replication/legacy_crypto.h"

namespace bh::secure::replication {

namespace {

/// MD5(sessionKey || salt): the RC4 key of one payload (MS-DRSR 4.1.10.6.17).
Outcome<Bytes> payloadKey(ByteSpan sessionKey, ByteSpan salt) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  bool ok = md != nullptr && EVP_DigestInit_ex(md, EVP_md5(), nullptr) == 1 &&
            EVP_DigestUpdate(md, sessionKey.data(), sessionKey.size()) == 1 &&
            EVP_DigestUpdate(md, salt.data(), salt.size()) == 1 &&
            EVP_DigestFinal_ex(md, digest, &n) == 1;
  EVP_MD_CTX_free(md);
  if (!ok) {
    return Outcome<Bytes>::failure("MD5 of the payload key failed");
  }
  Bytes key(digest, digest + n);
  OPENSSL_cleanse(digest, sizeof(digest));
  return Outcome<Bytes>::success(std::move(key));
}

/// CRC-32 of ISO/IEC 13239 (the reflected polynomial 0xEDB88320), as MS-DRSR names it. Bitwise:
/// the values are a few KiB, checked once per key retrieval.
uint32_t crc32Of(ByteSpan data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (uint8_t b : data) {
    crc ^= b;
    for (int i = 0; i < 8; ++i) {
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
  }
  return ~crc;
}

}  // namespace

Outcome<Bytes> openEncryptedPayload(ByteSpan sessionKey, ByteSpan payload) {
  if (sessionKey.empty()) {
    return Outcome<Bytes>::failure("no session key to open the replicated value with");
  }
  if (payload.size() < kPayloadHeaderLength) {
    return Outcome<Bytes>::failure("encrypted value of " + std::to_string(payload.size()) +
                                   " bytes is shorter than its salt and checksum");
  }
  if (payload.size() > kMaxPayloadLength) {
    return Outcome<Bytes>::failure("encrypted value of " + std::to_string(payload.size()) +
                                   " bytes is over the cap");
  }
  auto key = payloadKey(sessionKey, payload.first(kPayloadSaltLength));
  if (!key) {
    return Outcome<Bytes>::failure(key.error());
  }
  auto plain = rc4(key.value(), payload.subspan(kPayloadSaltLength));
  OPENSSL_cleanse(key.value().data(), key.value().size());
  if (!plain) {
    return plain;
  }
  Bytes& p = plain.value();
  uint32_t received = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                      static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
  Bytes data(p.begin() + 4, p.end());
  OPENSSL_cleanse(p.data(), p.size());
  if (crc32Of(data) != received) {
    OPENSSL_cleanse(data.data(), data.size());
    return Outcome<Bytes>::failure(
        "the replicated value's checksum does not match (wrong session key, or damaged)");
  }
  return Outcome<Bytes>::success(std::move(data));
}

Outcome<Bytes> sealEncryptedPayload(ByteSpan sessionKey,
                                    const std::array<uint8_t, kPayloadSaltLength>& salt,
                                    ByteSpan plain) {
  if (sessionKey.empty()) {
    return Outcome<Bytes>::failure("no session key to seal the value with");
  }
  if (plain.size() + kPayloadHeaderLength > kMaxPayloadLength) {
    return Outcome<Bytes>::failure("value over the cap");
  }
  auto key = payloadKey(sessionKey, ByteSpan(salt.data(), salt.size()));
  if (!key) {
    return Outcome<Bytes>::failure(key.error());
  }
  uint32_t crc = crc32Of(plain);
  Bytes inner = {static_cast<uint8_t>(crc), static_cast<uint8_t>(crc >> 8),
                 static_cast<uint8_t>(crc >> 16), static_cast<uint8_t>(crc >> 24)};
  inner.insert(inner.end(), plain.begin(), plain.end());
  auto sealed = rc4(key.value(), inner);
  OPENSSL_cleanse(key.value().data(), key.value().size());
  OPENSSL_cleanse(inner.data(), inner.size());
  if (!sealed) {
    return sealed;
  }
  Bytes out(salt.begin(), salt.end());
  out.insert(out.end(), sealed.value().begin(), sealed.value().end());
  return Outcome<Bytes>::success(std::move(out));
}

}  // namespace bh::secure::replication
