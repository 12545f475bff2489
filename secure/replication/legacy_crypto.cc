#include "secure/replication/legacy_crypto.h"

#include <openssl/evp.h>
#include <openssl/provider.h>

#include <memory>

namespace bh::secure::replication {

namespace {

/// The library context with the default and legacy providers, made once. Null if the legacy
/// provider is not installed (Debian's libssl3 ships it as ossl-modules/legacy.so).
OSSL_LIB_CTX* legacyContext() {
  static OSSL_LIB_CTX* ctx = [] {
    OSSL_LIB_CTX* c = OSSL_LIB_CTX_new();
    if (c == nullptr) {
      return c;
    }
    if (OSSL_PROVIDER_load(c, "default") == nullptr || OSSL_PROVIDER_load(c, "legacy") == nullptr) {
      OSSL_LIB_CTX_free(c);
      return static_cast<OSSL_LIB_CTX*>(nullptr);
    }
    return c;
  }();
  return ctx;
}

struct CipherFree {
  void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
};
struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

Outcome<Bytes> run(const char* name, ByteSpan key, ByteSpan data, bool encrypt) {
  OSSL_LIB_CTX* lib = legacyContext();
  if (lib == nullptr) {
    return Outcome<Bytes>::failure("OpenSSL's legacy provider (RC4, DES) is not available");
  }
  std::unique_ptr<EVP_CIPHER, CipherFree> cipher(EVP_CIPHER_fetch(lib, name, nullptr));
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!cipher || !ctx) {
    return Outcome<Bytes>::failure(std::string("OpenSSL has no ") + name);
  }
  if (EVP_CipherInit_ex2(ctx.get(), cipher.get(), nullptr, nullptr, encrypt ? 1 : 0, nullptr) !=
          1 ||
      EVP_CIPHER_CTX_set_key_length(ctx.get(), static_cast<int>(key.size())) != 1 ||
      EVP_CipherInit_ex2(ctx.get(), nullptr, key.data(), nullptr, -1, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
    return Outcome<Bytes>::failure(std::string(name) + ": cannot set the key");
  }
  Bytes out(data.size() + 16);
  int n = 0;
  int tail = 0;
  if (EVP_CipherUpdate(ctx.get(), out.data(), &n, data.data(), static_cast<int>(data.size())) !=
          1 ||
      EVP_CipherFinal_ex(ctx.get(), out.data() + n, &tail) != 1) {
    return Outcome<Bytes>::failure(std::string(name) + " failed");
  }
  out.resize(static_cast<size_t>(n + tail));
  return Outcome<Bytes>::success(std::move(out));
}

}  // namespace

Outcome<Bytes> rc4(ByteSpan key, ByteSpan data) {
  if (key.empty()) {
    return Outcome<Bytes>::failure("RC4 needs a key");
  }
  return run("RC4", key, data, true);
}

Outcome<DesBlock> desEcb(const DesBlock& key, const DesBlock& block, bool encrypt) {
  auto r = run("DES-ECB", ByteSpan(key.data(), key.size()), ByteSpan(block.data(), block.size()),
               encrypt);
  if (!r) {
    return Outcome<DesBlock>::failure(r.error());
  }
  if (r.value().size() != 8) {
    return Outcome<DesBlock>::failure("DES-ECB gave no block");
  }
  DesBlock b{};
  std::copy(r.value().begin(), r.value().end(), b.begin());
  return Outcome<DesBlock>::success(b);
}

}  // namespace bh::secure::replication
