#include "secure/emapi/aes_cts_sealer.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <memory>
#include <vector>

namespace bh::secure::emapi {

namespace {

constexpr size_t kBlock = 16;
/// Usages times the two kinds (Ke, Ki) a thread keeps folded: DCE/RPC uses four usages (22-25).
constexpr size_t kMaxFoldedConstants = 16;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct CipherFree {
  void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
};

/// One AES block under `key` (RFC 3961's E() with a zero IV over a single block). The context
/// is the thread's, re-keyed each time (a context per block was a fixed cost of every seal).
bool aesBlock(ByteSpan key, const uint8_t in[kBlock], uint8_t out[kBlock]) {
  thread_local const std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  const EVP_CIPHER* c = key.size() == 32 ? EVP_aes_256_ecb() : EVP_aes_128_ecb();
  int n = 0;
  return ctx && EVP_EncryptInit_ex(ctx.get(), c, nullptr, key.data(), nullptr) == 1 &&
         EVP_CIPHER_CTX_set_padding(ctx.get(), 0) == 1 &&
         EVP_EncryptUpdate(ctx.get(), out, &n, in, kBlock) == 1 && n == kBlock;
}

/// n-fold(usage | which) to the block size: DK's constant depends on the usage alone, never on a
/// key, so each thread folds each constant once (the bit-wise n-fold per seal was 4 % of the
/// edge's CPU in a sealed open-attachment, more than the key schedule it feeds).
std::array<uint8_t, kBlock> dkConstant(int32_t usage, uint8_t which) {
  struct Folded {
    uint64_t id;
    std::array<uint8_t, kBlock> block;
  };
  thread_local std::vector<Folded> memo;
  const uint64_t id = (uint64_t{static_cast<uint32_t>(usage)} << 8) | which;
  for (const Folded& f : memo) {
    if (f.id == id) {
      return f.block;
    }
  }
  const uint8_t constant[5] = {static_cast<uint8_t>(usage >> 24), static_cast<uint8_t>(usage >> 16),
                               static_cast<uint8_t>(usage >> 8), static_cast<uint8_t>(usage),
                               which};
  Bytes folded = nfold(ByteSpan(constant, 5), kBlock);
  Folded f{id, {}};
  std::copy_n(folded.begin(), kBlock, f.block.begin());
  if (memo.size() < kMaxFoldedConstants) {
    memo.push_back(f);
  }
  return f.block;
}

/// RFC 3961 5.3 DK(base, usage | which): DR iterated until the key length, random-to-key the
/// identity for AES (RFC 3962 6).
bool deriveKey(ByteSpan base, int32_t usage, uint8_t which, Bytes& out) {
  const std::array<uint8_t, kBlock> constant = dkConstant(usage, which);
  Bytes block(constant.begin(), constant.end());
  out.clear();
  while (out.size() < base.size()) {
    uint8_t next[kBlock];
    if (!aesBlock(base, block.data(), next)) {
      return false;
    }
    out.insert(out.end(), next, next + kBlock);
    block.assign(next, next + kBlock);
    OPENSSL_cleanse(next, kBlock);
  }
  out.resize(base.size());
  OPENSSL_cleanse(block.data(), block.size());
  return true;
}

/// The CTS cipher, fetched once per process (a fetch per PDU was a fixed cost of every seal).
const EVP_CIPHER* ctsCipher(size_t keyBytes) {
  static const std::unique_ptr<EVP_CIPHER, CipherFree> aes256(
      EVP_CIPHER_fetch(nullptr, "AES-256-CBC-CTS", nullptr));
  static const std::unique_ptr<EVP_CIPHER, CipherFree> aes128(
      EVP_CIPHER_fetch(nullptr, "AES-128-CBC-CTS", nullptr));
  return keyBytes == 32 ? aes256.get() : aes128.get();
}

/// Per-thread working buffers of a seal, kept (and wiped after each use) so that sealing a
/// 32 KiB PDU does not allocate and free large blocks each time: the profile showed most of a
/// seal's time in the heap growing and being trimmed again (bench/README.md).
struct SealScratch {
  Bytes enc;
  Bytes mac;
  Bytes out;
};
thread_local SealScratch scratch;

bool ctsEncrypt(ByteSpan key, Bytes& data) {
  const EVP_CIPHER* c = ctsCipher(key.size());
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  if (c == nullptr || !ctx) {
    return false;
  }
  char mode[] = "CS3";  // RFC 3962 5: the last two blocks swapped, always
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_CIPHER_PARAM_CTS_MODE, mode, 0),
                         OSSL_PARAM_construct_end()};
  const uint8_t iv[kBlock] = {};
  Bytes& out = scratch.out;
  if (out.size() < data.size() + kBlock) {
    out.resize(data.size() + kBlock);
  }
  int n = 0;
  int m = 0;
  if (EVP_EncryptInit_ex2(ctx.get(), c, key.data(), iv, params) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &n, data.data(), static_cast<int>(data.size())) !=
          1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + n, &m) != 1 ||
      static_cast<size_t>(n + m) != data.size()) {
    return false;
  }
  std::copy_n(out.begin(), data.size(), data.begin());
  OPENSSL_cleanse(out.data(), data.size());
  return true;
}

}  // namespace

Bytes nfold(ByteSpan in, size_t outBytes) {
  // RFC 3961 5.1: concatenate copies of the input, copy k rotated right by 13*k bits, until the
  // length is the least common multiple of both sizes; then add the output-sized pieces with
  // one's-complement (end-around carry) addition.
  const size_t inBytes = in.size();
  if (inBytes == 0 || outBytes == 0) {
    return Bytes(outBytes, 0);
  }
  size_t a = inBytes;
  size_t b = outBytes;
  while (b != 0) {
    size_t t = a % b;
    a = b;
    b = t;
  }
  const size_t lcm = inBytes / a * outBytes;
  const size_t inBits = inBytes * 8;
  auto bitOf = [&](size_t i) { return (in[i / 8] >> (7 - i % 8)) & 1; };
  Bytes sum(outBytes, 0);
  unsigned carry = 0;
  Bytes chunk(outBytes);
  for (size_t c = 0; c < lcm / outBytes; ++c) {
    for (size_t j = 0; j < outBytes; ++j) {
      uint8_t v = 0;
      for (size_t bit = 0; bit < 8; ++bit) {
        size_t pos = (c * outBytes + j) * 8 + bit;  // bit position in the concatenation
        size_t copy = pos / inBits;
        size_t within = pos % inBits;
        // A right rotation by r: output bit i is input bit (i - r) mod n.
        size_t r = (13 * copy) % inBits;
        v = static_cast<uint8_t>(v << 1 | bitOf((within + inBits - r) % inBits));
      }
      chunk[j] = v;
    }
    carry = 0;
    for (size_t j = outBytes; j-- > 0;) {
      unsigned s = unsigned{sum[j]} + chunk[j] + carry;
      sum[j] = static_cast<uint8_t>(s);
      carry = s >> 8;
    }
    while (carry != 0) {
      for (size_t j = outBytes; j-- > 0 && carry != 0;) {
        unsigned s = unsigned{sum[j]} + carry;
        sum[j] = static_cast<uint8_t>(s);
        carry = s >> 8;
      }
    }
  }
  return sum;
}

bool aesCtsSealIov(const KeyBlock& key, int32_t usage, ByteSpan confounder,
                   std::span<CryptoIov> iov) {
  if ((key.enctype != 17 && key.enctype != 18) ||
      key.value.size() != (key.enctype == 18 ? 32 : 16) || confounder.size() != kBlock) {
    return false;
  }
  Bytes ke;
  Bytes ki;
  if (!deriveKey(key.value, usage, 0xaa, ke) || !deriveKey(key.value, usage, 0x55, ki)) {
    return false;
  }
  // The plaintext the cipher sees (Header, then Data in order) and what the HMAC sees (Header,
  // SignOnly and Data in order).
  Bytes& enc = scratch.enc;
  Bytes& mac = scratch.mac;
  enc.clear();
  mac.clear();
  CryptoIov* trailer = nullptr;
  for (CryptoIov& b : iov) {
    ByteSpan s(b.data, b.length);
    switch (b.type) {
      case CryptoIov::Type::Header:
        if (b.length != kBlock) {
          return false;
        }
        enc.insert(enc.end(), confounder.begin(), confounder.end());
        mac.insert(mac.end(), confounder.begin(), confounder.end());
        break;
      case CryptoIov::Type::Data:
        enc.insert(enc.end(), s.begin(), s.end());
        mac.insert(mac.end(), s.begin(), s.end());
        break;
      case CryptoIov::Type::SignOnly:
        mac.insert(mac.end(), s.begin(), s.end());
        break;
      case CryptoIov::Type::Trailer:
        trailer = &b;
        break;
    }
  }
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int dlen = 0;
  bool ok = trailer != nullptr && trailer->length == 12 && enc.size() >= kBlock &&
            HMAC(EVP_sha1(), ki.data(), static_cast<int>(ki.size()), mac.data(), mac.size(), digest,
                 &dlen) != nullptr &&
            ctsEncrypt(ke, enc);
  if (ok) {
    std::copy_n(digest, 12, trailer->data);
    size_t at = 0;
    for (CryptoIov& b : iov) {
      if (b.type == CryptoIov::Type::Header || b.type == CryptoIov::Type::Data) {
        std::copy_n(enc.begin() + static_cast<ptrdiff_t>(at), b.length, b.data);
        at += b.length;
      }
    }
  }
  OPENSSL_cleanse(ke.data(), ke.size());
  OPENSSL_cleanse(ki.data(), ki.size());
  OPENSSL_cleanse(mac.data(), mac.size());
  OPENSSL_cleanse(enc.data(), enc.size());
  return ok;
}

}  // namespace bh::secure::emapi
