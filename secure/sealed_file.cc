#include "secure/sealed_file.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>

#include "secure/openssl_ptr.h"

namespace bh::secure {

namespace {

constexpr uint8_t kMagic[4] = {'B', 'H', 'S', 'S'};
constexpr uint8_t kVersion = 1;
constexpr size_t kNonceSize = 12;

Bytes aadOf(ByteSpan header, const std::string& name) {
  Bytes aad(header.begin(), header.end());
  aad.insert(aad.end(), name.begin(), name.end());
  return aad;
}

}  // namespace

StoreKey::StoreKey(ByteSpan bytes) {
  if (bytes.size() == kSize) {
    std::memcpy(bytes_.data(), bytes.data(), kSize);
    set_ = true;
  }
}

StoreKey::~StoreKey() {
  OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

ParseResult parseSealedFile(ByteSpan file, SealedFileView& out) {
  if (file.size() < kSealedHeaderSize + kSealedTagSize) {
    return ParseResult::fail("sealed file truncated: " + std::to_string(file.size()) + " bytes");
  }
  if (std::memcmp(file.data(), kMagic, sizeof kMagic) != 0) {
    return ParseResult::fail("not a sealed file (bad magic)");
  }
  ByteReader r(file, Endian::Big);
  r.skip(4);
  out.version = r.u8();
  if (out.version != kVersion) {
    return ParseResult::fail("sealed file version " + std::to_string(out.version) +
                             " is not supported");
  }
  if (r.u8() != 0 || r.u16be() != 0) {
    return ParseResult::fail("sealed file reserved bytes are not zero");
  }
  out.nonce = r.take(kNonceSize);
  uint32_t n = r.u32be();
  if (!r.ok()) {
    return ParseResult::fail("sealed file truncated");
  }
  // Check the length against the cap and the file before taking it.
  if (n > kMaxSealedPlaintext) {
    return ParseResult::fail("sealed file length " + std::to_string(n) + " exceeds the cap");
  }
  if (file.size() != kSealedHeaderSize + n + kSealedTagSize) {
    return ParseResult::fail("sealed file length " + std::to_string(n) + " does not match its " +
                             std::to_string(file.size()) + " bytes");
  }
  out.header = file.first(kSealedHeaderSize);
  out.ciphertext = r.take(n);
  out.tag = r.take(kSealedTagSize);
  return ParseResult::done(file.size());
}

Outcome<Bytes> sealEntry(const StoreKey& key, const std::string& name, ByteSpan plaintext) {
  using R = Outcome<Bytes>;
  if (!key.set()) {
    return R::failure("no store key");
  }
  if (plaintext.size() > kMaxSealedPlaintext) {
    return R::failure("entry " + name + " is larger than the sealed file cap");
  }
  Bytes out(kSealedHeaderSize + plaintext.size() + kSealedTagSize);
  std::memcpy(out.data(), kMagic, 4);
  out[4] = kVersion;
  uint8_t* nonce = out.data() + 8;
  if (RAND_bytes(nonce, kNonceSize) != 1) {
    return R::failure("no randomness for the nonce");
  }
  uint32_t n = static_cast<uint32_t>(plaintext.size());
  out[20] = static_cast<uint8_t>(n >> 24);
  out[21] = static_cast<uint8_t>(n >> 16);
  out[22] = static_cast<uint8_t>(n >> 8);
  out[23] = static_cast<uint8_t>(n);
  Bytes aad = aadOf(ByteSpan(out).first(kSealedHeaderSize), name);
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) == 1;
  ok = ok &&
       EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1;
  ok = ok && EVP_EncryptUpdate(ctx.get(), out.data() + kSealedHeaderSize, &len, plaintext.data(),
                               static_cast<int>(plaintext.size())) == 1;
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), out.data() + kSealedHeaderSize + len, &len) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kSealedTagSize,
                                 out.data() + kSealedHeaderSize + plaintext.size()) == 1;
  if (!ok) {
    return R::failure("sealing entry " + name + " failed: " + takeOpenSslError());
  }
  return R::success(std::move(out));
}

Outcome<Bytes> openEntry(const StoreKey& key, const std::string& name, ByteSpan file) {
  using R = Outcome<Bytes>;
  if (!key.set()) {
    return R::failure("no store key");
  }
  SealedFileView v;
  ParseResult pr = parseSealedFile(file, v);
  if (!pr.ok()) {
    return R::failure("entry " + name + ": " + pr.error);
  }
  Bytes aad = aadOf(v.header, name);
  Bytes plain(v.ciphertext.size());
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(),
                                      v.nonce.data()) == 1;
  ok = ok &&
       EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1;
  ok = ok && EVP_DecryptUpdate(ctx.get(), plain.data(), &len, v.ciphertext.data(),
                               static_cast<int>(v.ciphertext.size())) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kSealedTagSize,
                                 const_cast<uint8_t*>(v.tag.data())) == 1;
  ok = ok && EVP_DecryptFinal_ex(ctx.get(), plain.data() + len, &len) == 1;
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    takeOpenSslError();
    return R::failure("entry " + name +
                      " does not authenticate (tampered, renamed, or sealed with another key)");
  }
  return R::success(std::move(plain));
}

}  // namespace bh::secure
