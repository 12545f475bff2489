#include "secure/emapi/arcfour_sealer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/provider.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace bh::secure::emapi {

namespace {

constexpr int32_t kEtypeRc4 = 23;
constexpr size_t kMd5 = 16;
// RFC 4757 7.2/7.3 (Heimdal's usage2arcfour): the checksum's usage for GetMIC and for Wrap.
constexpr uint8_t kUsageSign = 15;
constexpr uint8_t kUsageSeal = 13;

/// RC4 lives in OpenSSL 3's legacy provider: loaded once, into a library context of its own.
EVP_CIPHER* rc4Cipher() {
  static EVP_CIPHER* const cipher = [] {
    OSSL_LIB_CTX* ctx = OSSL_LIB_CTX_new();
    if (ctx == nullptr || OSSL_PROVIDER_load(ctx, "legacy") == nullptr) {
      return static_cast<EVP_CIPHER*>(nullptr);
    }
    return EVP_CIPHER_fetch(ctx, "RC4", nullptr);
  }();
  return cipher;
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

/// An RC4 key stream over `pieces` in order (one stream across all of them).
bool rc4(const uint8_t key[kMd5], std::span<const std::pair<uint8_t*, size_t>> pieces) {
  EVP_CIPHER* c = rc4Cipher();
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  if (c == nullptr || !ctx || EVP_EncryptInit_ex2(ctx.get(), c, key, nullptr, nullptr) != 1) {
    return false;
  }
  for (const auto& [p, n] : pieces) {
    int out = 0;
    if (n > 0 && (EVP_EncryptUpdate(ctx.get(), p, &out, p, static_cast<int>(n)) != 1 ||
                  static_cast<size_t>(out) != n)) {
      return false;
    }
  }
  return true;
}

bool hmacMd5(ByteSpan key, ByteSpan data, uint8_t out[kMd5]) {
  unsigned int n = 0;
  return HMAC(EVP_md5(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), out,
              &n) != nullptr &&
         n == kMd5;
}

/// HMAC-MD5(HMAC-MD5(key, LE32(0)), data): RFC 4757's derivation of Kseq and Kcrypt.
bool micKey(ByteSpan key, ByteSpan data, uint8_t out[kMd5]) {
  const uint8_t zero[4] = {0, 0, 0, 0};
  uint8_t k1[kMd5];
  bool ok = hmacMd5(key, ByteSpan(zero, 4), k1) && hmacMd5(ByteSpan(k1, kMd5), data, out);
  OPENSSL_cleanse(k1, kMd5);
  return ok;
}

/// SGN_CKSUM over the token header, the plaintext confounder and the buffers.
bool checksum(ByteSpan key, uint8_t usageNumber, const uint8_t header[8], const uint8_t* confounder,
              std::span<CryptoIov> iov, uint8_t out[8]) {
  static const char kSignatureKey[] = "signaturekey";  // with its NUL: 13 bytes
  uint8_t ksign[kMd5];
  uint8_t md5[kMd5];
  uint8_t mac[kMd5];
  const uint8_t usage[4] = {usageNumber, 0, 0, 0};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned int n = 0;
  bool ok =
      md && hmacMd5(key, ByteSpan(reinterpret_cast<const uint8_t*>(kSignatureKey), 13), ksign) &&
      EVP_DigestInit_ex(md.get(), EVP_md5(), nullptr) == 1 &&
      EVP_DigestUpdate(md.get(), usage, 4) == 1 && EVP_DigestUpdate(md.get(), header, 8) == 1 &&
      (confounder == nullptr || EVP_DigestUpdate(md.get(), confounder, 8) == 1);
  for (const CryptoIov& b : iov) {
    if (ok && (b.type == CryptoIov::Type::Data || b.type == CryptoIov::Type::SignOnly)) {
      ok = EVP_DigestUpdate(md.get(), b.data, b.length) == 1;
    }
  }
  ok = ok && EVP_DigestFinal_ex(md.get(), md5, &n) == 1 &&
       hmacMd5(ByteSpan(ksign, kMd5), ByteSpan(md5, kMd5), mac);
  if (ok) {
    std::copy_n(mac, 8, out);
  }
  OPENSSL_cleanse(ksign, kMd5);
  return ok;
}

bool cryptKey(ByteSpan key, uint32_t seq, uint8_t out[kMd5]) {
  uint8_t local[kMd5];
  for (size_t i = 0; i < kMd5; ++i) {
    local[i] = key[i] ^ 0xf0;
  }
  const uint8_t be[4] = {static_cast<uint8_t>(seq >> 24), static_cast<uint8_t>(seq >> 16),
                         static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq)};
  bool ok = micKey(ByteSpan(local, kMd5), ByteSpan(be, 4), out);
  OPENSSL_cleanse(local, kMd5);
  return ok;
}

/// RC4 over confounder and every Data buffer, as one stream.
bool cryptData(const uint8_t kcrypt[kMd5], uint8_t confounder[8], std::span<CryptoIov> iov) {
  std::vector<std::pair<uint8_t*, size_t>> pieces{{confounder, 8}};
  for (CryptoIov& b : iov) {
    if (b.type == CryptoIov::Type::Data) {
      pieces.emplace_back(b.data, b.length);
    }
  }
  return rc4(kcrypt, pieces);
}

bool validKey(const KeyBlock& key) {
  return key.enctype == kEtypeRc4 && key.value.size() == kMd5;
}

}  // namespace

bool arcfourSealIov(const KeyBlock& key, bool fromAcceptor, uint32_t seq, ByteSpan confounder,
                    std::span<CryptoIov> iov, ArcfourWrapToken& token) {
  if (!validKey(key) || confounder.size() != 8) {
    return false;
  }
  const uint8_t header[8] = {0x02, 0x01, 0x11, 0x00, 0x10, 0x00, 0xff, 0xff};
  std::copy_n(header, 8, token.begin());
  uint8_t conf[8];
  std::copy_n(confounder.begin(), 8, conf);
  uint8_t cksum[8];
  uint8_t kseq[kMd5];
  uint8_t kcrypt[kMd5];
  bool ok = checksum(key.value, kUsageSeal, header, conf, iov, cksum) &&
            micKey(key.value, ByteSpan(cksum, 8), kseq) && cryptKey(key.value, seq, kcrypt);
  if (ok) {
    uint8_t* sndSeq = token.data() + 8;
    const uint8_t dir = fromAcceptor ? 0xff : 0x00;
    const uint8_t plain[8] = {static_cast<uint8_t>(seq >> 24),
                              static_cast<uint8_t>(seq >> 16),
                              static_cast<uint8_t>(seq >> 8),
                              static_cast<uint8_t>(seq),
                              dir,
                              dir,
                              dir,
                              dir};
    std::copy_n(plain, 8, sndSeq);
    std::pair<uint8_t*, size_t> seqPiece{sndSeq, 8};
    ok = rc4(kseq, std::span(&seqPiece, 1)) && cryptData(kcrypt, conf, iov);
    std::copy_n(cksum, 8, token.begin() + 16);
    std::copy_n(conf, 8, token.begin() + 24);
  }
  OPENSSL_cleanse(kseq, kMd5);
  OPENSSL_cleanse(kcrypt, kMd5);
  return ok;
}

bool arcfourUnsealIov(const KeyBlock& key, bool fromAcceptor, const ArcfourWrapToken& token,
                      std::span<CryptoIov> iov, uint32_t& seq, std::array<uint8_t, 8>& confounder) {
  if (!validKey(key)) {
    return false;
  }
  uint8_t kseq[kMd5];
  uint8_t kcrypt[kMd5];
  uint8_t sndSeq[8];
  std::copy_n(token.begin() + 8, 8, sndSeq);
  std::pair<uint8_t*, size_t> seqPiece{sndSeq, 8};
  bool ok =
      micKey(key.value, ByteSpan(token.data() + 16, 8), kseq) && rc4(kseq, std::span(&seqPiece, 1));
  const uint8_t dir = fromAcceptor ? 0xff : 0x00;
  ok = ok && std::all_of(sndSeq + 4, sndSeq + 8, [dir](uint8_t b) { return b == dir; });
  seq =
      uint32_t{sndSeq[0]} << 24 | uint32_t{sndSeq[1]} << 16 | uint32_t{sndSeq[2]} << 8 | sndSeq[3];
  uint8_t conf[8];
  std::copy_n(token.begin() + 24, 8, conf);
  uint8_t cksum[8];
  ok = ok && cryptKey(key.value, seq, kcrypt) && cryptData(kcrypt, conf, iov) &&
       checksum(key.value, kUsageSeal, token.data(), conf, iov, cksum) &&
       CRYPTO_memcmp(cksum, token.data() + 16, 8) == 0;
  std::copy_n(conf, 8, confounder.begin());
  OPENSSL_cleanse(kseq, kMd5);
  OPENSSL_cleanse(kcrypt, kMd5);
  return ok;
}

namespace {

/// SND_SEQ = RC4(Kseq, BE32(seq) | direction), Kseq from the checksum.
bool encryptSeq(ByteSpan key, const uint8_t cksum[8], uint32_t seq, bool fromAcceptor,
                uint8_t out[8]) {
  uint8_t kseq[kMd5];
  const uint8_t dir = fromAcceptor ? 0xff : 0x00;
  const uint8_t plain[8] = {static_cast<uint8_t>(seq >> 24),
                            static_cast<uint8_t>(seq >> 16),
                            static_cast<uint8_t>(seq >> 8),
                            static_cast<uint8_t>(seq),
                            dir,
                            dir,
                            dir,
                            dir};
  std::copy_n(plain, 8, out);
  std::pair<uint8_t*, size_t> piece{out, 8};
  bool ok = micKey(key, ByteSpan(cksum, 8), kseq) && rc4(kseq, std::span(&piece, 1));
  OPENSSL_cleanse(kseq, kMd5);
  return ok;
}

}  // namespace

bool arcfourMicIov(const KeyBlock& key, bool fromAcceptor, uint32_t seq, std::span<CryptoIov> iov,
                   ArcfourMicToken& token) {
  if (!validKey(key)) {
    return false;
  }
  const uint8_t header[8] = {0x01, 0x01, 0x11, 0x00, 0xff, 0xff, 0xff, 0xff};
  std::copy_n(header, 8, token.begin());
  uint8_t cksum[8];
  if (!checksum(key.value, kUsageSign, header, nullptr, iov, cksum)) {
    return false;
  }
  std::copy_n(cksum, 8, token.begin() + 16);
  return encryptSeq(key.value, cksum, seq, fromAcceptor, token.data() + 8);
}

bool arcfourVerifyMicIov(const KeyBlock& key, bool fromAcceptor, const ArcfourMicToken& token,
                         std::span<CryptoIov> iov, uint32_t& seq) {
  if (!validKey(key)) {
    return false;
  }
  uint8_t cksum[8];
  if (!checksum(key.value, kUsageSign, token.data(), nullptr, iov, cksum) ||
      CRYPTO_memcmp(cksum, token.data() + 16, 8) != 0) {
    return false;
  }
  // SND_SEQ is RC4 under a key from the checksum: decrypting is encrypting again.
  uint8_t plain[8];
  std::copy_n(token.begin() + 8, 8, plain);
  std::pair<uint8_t*, size_t> piece{plain, 8};
  uint8_t kseq[kMd5];
  bool ok = micKey(key.value, ByteSpan(cksum, 8), kseq) && rc4(kseq, std::span(&piece, 1));
  OPENSSL_cleanse(kseq, kMd5);
  const uint8_t dir = fromAcceptor ? 0xff : 0x00;
  seq = uint32_t{plain[0]} << 24 | uint32_t{plain[1]} << 16 | uint32_t{plain[2]} << 8 | plain[3];
  return ok && std::all_of(plain + 4, plain + 8, [dir](uint8_t b) { return b == dir; });
}

}  // namespace bh::secure::emapi
