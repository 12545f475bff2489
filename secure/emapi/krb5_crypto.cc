#include "secure/emapi/krb5_crypto.h"

#include <krb5/krb5.h>

#include <vector>

namespace bh::secure::emapi {

struct Krb5Crypto::Impl {
  krb5_context context = nullptr;
};

namespace {

krb5_keyblock keyblockOf(const KeyBlock& key) {
  krb5_keyblock k{};
  k.magic = KV5M_KEYBLOCK;
  k.enctype = key.enctype;
  k.length = static_cast<unsigned int>(key.value.size());
  k.contents = const_cast<krb5_octet*>(key.value.data());
  return k;
}

krb5_cryptotype typeOf(CryptoIov::Type t) {
  switch (t) {
    case CryptoIov::Type::Header:
      return KRB5_CRYPTO_TYPE_HEADER;
    case CryptoIov::Type::Data:
      return KRB5_CRYPTO_TYPE_DATA;
    case CryptoIov::Type::SignOnly:
      return KRB5_CRYPTO_TYPE_SIGN_ONLY;
    case CryptoIov::Type::Trailer:
      return KRB5_CRYPTO_TYPE_TRAILER;
  }
  return KRB5_CRYPTO_TYPE_EMPTY;
}

std::vector<krb5_crypto_iov> iovOf(std::span<CryptoIov> in, krb5_cryptotype trailerAs) {
  std::vector<krb5_crypto_iov> out(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    out[i].flags = in[i].type == CryptoIov::Type::Trailer ? trailerAs : typeOf(in[i].type);
    out[i].data.magic = KV5M_DATA;
    out[i].data.length = static_cast<unsigned int>(in[i].length);
    out[i].data.data = reinterpret_cast<char*>(in[i].data);
  }
  return out;
}

}  // namespace

Krb5Crypto::Krb5Crypto() : impl_(std::make_unique<Impl>()) {
  if (krb5_init_context(&impl_->context) != 0) {
    impl_->context = nullptr;
  }
}

Krb5Crypto::~Krb5Crypto() {
  if (impl_->context != nullptr) {
    krb5_free_context(impl_->context);
  }
}

bool Krb5Crypto::ok() const {
  return impl_->context != nullptr;
}

std::optional<Bytes> Krb5Crypto::decrypt(const KeyBlock& key, int32_t usage,
                                         const EncryptedData& in) const {
  if (!ok() || in.cipher.empty() || in.etype != key.enctype) {
    return std::nullopt;
  }
  krb5_keyblock k = keyblockOf(key);
  krb5_enc_data enc{};
  enc.magic = KV5M_ENC_DATA;
  enc.enctype = in.etype;
  enc.kvno = in.kvno.value_or(0);
  enc.ciphertext.length = static_cast<unsigned int>(in.cipher.size());
  enc.ciphertext.data = const_cast<char*>(reinterpret_cast<const char*>(in.cipher.data()));
  Bytes plain(in.cipher.size());
  krb5_data out{};
  out.length = static_cast<unsigned int>(plain.size());
  out.data = reinterpret_cast<char*>(plain.data());
  if (krb5_c_decrypt(impl_->context, &k, usage, nullptr, &enc, &out) != 0) {
    return std::nullopt;
  }
  plain.resize(out.length);
  return plain;
}

bool Krb5Crypto::decryptIov(const KeyBlock& key, int32_t usage, std::span<CryptoIov> iov) const {
  if (!ok()) {
    return false;
  }
  krb5_keyblock k = keyblockOf(key);
  std::vector<krb5_crypto_iov> v = iovOf(iov, KRB5_CRYPTO_TYPE_TRAILER);
  return krb5_c_decrypt_iov(impl_->context, &k, usage, nullptr, v.data(), v.size()) == 0;
}

bool Krb5Crypto::encryptIov(const KeyBlock& key, int32_t usage, std::span<CryptoIov> iov) const {
  if (!ok()) {
    return false;
  }
  krb5_keyblock k = keyblockOf(key);
  std::vector<krb5_crypto_iov> v = iovOf(iov, KRB5_CRYPTO_TYPE_TRAILER);
  return krb5_c_encrypt_iov(impl_->context, &k, usage, nullptr, v.data(), v.size()) == 0;
}

bool Krb5Crypto::makeChecksumIov(const KeyBlock& key, int32_t usage,
                                 std::span<CryptoIov> iov) const {
  if (!ok()) {
    return false;
  }
  krb5_keyblock k = keyblockOf(key);
  std::vector<krb5_crypto_iov> v = iovOf(iov, KRB5_CRYPTO_TYPE_CHECKSUM);
  // cksumtype 0: the enctype's mandatory checksum (hmac-sha1-96-aes*, RFC 3962).
  return krb5_c_make_checksum_iov(impl_->context, 0, &k, usage, v.data(), v.size()) == 0;
}

bool Krb5Crypto::verifyChecksumIov(const KeyBlock& key, int32_t usage,
                                   std::span<CryptoIov> iov) const {
  if (!ok()) {
    return false;
  }
  krb5_keyblock k = keyblockOf(key);
  std::vector<krb5_crypto_iov> v = iovOf(iov, KRB5_CRYPTO_TYPE_CHECKSUM);
  krb5_boolean valid = 0;
  return krb5_c_verify_checksum_iov(impl_->context, 0, &k, usage, v.data(), v.size(), &valid) ==
             0 &&
         valid != 0;
}

size_t Krb5Crypto::headerLength(int32_t enctype) const {
  unsigned int n = 0;
  return ok() && krb5_c_crypto_length(impl_->context, enctype, KRB5_CRYPTO_TYPE_HEADER, &n) == 0
             ? n
             : 0;
}

size_t Krb5Crypto::trailerLength(int32_t enctype) const {
  unsigned int n = 0;
  return ok() && krb5_c_crypto_length(impl_->context, enctype, KRB5_CRYPTO_TYPE_TRAILER, &n) == 0
             ? n
             : 0;
}

size_t Krb5Crypto::checksumLength(int32_t enctype) const {
  unsigned int n = 0;
  return ok() && krb5_c_crypto_length(impl_->context, enctype, KRB5_CRYPTO_TYPE_CHECKSUM, &n) == 0
             ? n
             : 0;
}

}  // namespace bh::secure::emapi
