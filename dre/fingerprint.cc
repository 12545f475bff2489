#include "dre/fingerprint.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

namespace bh::dre {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// Fetching the SHA-256 implementation once avoids the provider lookup on every chunk.
const EVP_MD* sha256() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace

Fingerprint fingerprintOf(ByteSpan data) {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // A failing libcrypto cannot be worked around and must not yield a made-up name.
  if (ctx == nullptr || sha256() == nullptr ||
      EVP_DigestInit_ex2(ctx.get(), sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1 || len < Fingerprint::kBytes) {
    std::abort();
  }
  Fingerprint f;
  std::memcpy(f.bytes.data(), digest, Fingerprint::kBytes);
  return f;
}

}  // namespace bh::dre
