#include "secure/replication/rid_des.h"

#include <openssl/crypto.h>

#include "secure/replication/legacy_crypto.h"

namespace bh::secure::replication {

namespace {

/// Key1 = I[0] I[1] I[2] I[3] I[0] I[1] I[2], Key2 = I[3] I[0] I[1] I[2] I[3] I[0] I[1], where
/// I is the RID in little-endian order (MS-SAMR 2.2.11.1.3).
void ridKeys(uint32_t rid, DesBlock& key1, DesBlock& key2) {
  const uint8_t i[4] = {static_cast<uint8_t>(rid), static_cast<uint8_t>(rid >> 8),
                        static_cast<uint8_t>(rid >> 16), static_cast<uint8_t>(rid >> 24)};
  key1 = desKeyFrom7({i[0], i[1], i[2], i[3], i[0], i[1], i[2]});
  key2 = desKeyFrom7({i[3], i[0], i[1], i[2], i[3], i[0], i[1]});
}

Outcome<Hash16> both(uint32_t rid, const uint8_t* in, bool encrypt) {
  DesBlock k1{}, k2{};
  ridKeys(rid, k1, k2);
  DesBlock a{}, b{};
  std::copy(in, in + 8, a.begin());
  std::copy(in + 8, in + 16, b.begin());
  auto r1 = desEcb(k1, a, encrypt);
  auto r2 = desEcb(k2, b, encrypt);
  OPENSSL_cleanse(a.data(), a.size());
  OPENSSL_cleanse(b.data(), b.size());
  if (!r1 || !r2) {
    return Outcome<Hash16>::failure(!r1 ? r1.error() : r2.error());
  }
  Hash16 out{};
  std::copy(r1.value().begin(), r1.value().end(), out.begin());
  std::copy(r2.value().begin(), r2.value().end(), out.begin() + 8);
  return Outcome<Hash16>::success(out);
}

}  // namespace

std::array<uint8_t, 8> desKeyFrom7(const std::array<uint8_t, 7>& k) {
  std::array<uint8_t, 8> o{};
  o[0] = static_cast<uint8_t>(k[0] >> 1);
  o[1] = static_cast<uint8_t>(((k[0] & 0x01) << 6) | (k[1] >> 2));
  o[2] = static_cast<uint8_t>(((k[1] & 0x03) << 5) | (k[2] >> 3));
  o[3] = static_cast<uint8_t>(((k[2] & 0x07) << 4) | (k[3] >> 4));
  o[4] = static_cast<uint8_t>(((k[3] & 0x0F) << 3) | (k[4] >> 5));
  o[5] = static_cast<uint8_t>(((k[4] & 0x1F) << 2) | (k[5] >> 6));
  o[6] = static_cast<uint8_t>(((k[5] & 0x3F) << 1) | (k[6] >> 7));
  o[7] = static_cast<uint8_t>(k[6] & 0x7F);
  for (uint8_t& b : o) {
    b = static_cast<uint8_t>(b << 1);
  }
  return o;
}

Outcome<Hash16> decryptHashWithRid(uint32_t rid, ByteSpan encrypted) {
  if (encrypted.size() != 16) {
    return Outcome<Hash16>::failure("an encrypted NT hash is 16 bytes, not " +
                                    std::to_string(encrypted.size()));
  }
  return both(rid, encrypted.data(), false);
}

Outcome<Hash16> encryptHashWithRid(uint32_t rid, const Hash16& hash) {
  return both(rid, hash.data(), true);
}

}  // namespace bh::secure::replication
