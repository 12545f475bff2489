#pragma once

// The RFC 3961 operations the eMAPI layer asks of MIT krb5 (libk5crypto's public krb5_c_* API):
// decrypting an EncryptedData and an IOV in place (key usage, derivation, integrity check all
// MIT's), and keyed checksums over an IOV. One krb5 context per object; no global state. The
// only place in secure/emapi that includes <krb5.h>.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "common/bytes.h"
#include "secure/emapi/kerberos_messages.h"

namespace bh::secure::emapi {

/// One buffer of an RFC 3961 IOV operation (MIT's krb5_crypto_iov, RFC 4121's GSS_WrapEx).
struct CryptoIov {
  enum class Type { Header, Data, SignOnly, Trailer };
  Type type = Type::Data;
  uint8_t* data = nullptr;
  size_t length = 0;
};

class Krb5Crypto {
 public:
  Krb5Crypto();
  ~Krb5Crypto();
  Krb5Crypto(const Krb5Crypto&) = delete;
  Krb5Crypto& operator=(const Krb5Crypto&) = delete;

  /// False when no krb5 context could be made (then every operation fails).
  bool ok() const;

  /// krb5_c_decrypt: the plaintext of `in` under `key` and `usage`, or nullopt (wrong key,
  /// corrupt ciphertext, an enctype MIT does not know, a key of the wrong size).
  std::optional<Bytes> decrypt(const KeyBlock& key, int32_t usage, const EncryptedData& in) const;

  /// krb5_c_decrypt_iov: decrypts the Header and Data buffers in place and checks the Trailer's
  /// HMAC over Header, SignOnly and Data (in order). False if it does not verify.
  bool decryptIov(const KeyBlock& key, int32_t usage, std::span<CryptoIov> iov) const;
  /// krb5_c_encrypt_iov: the same the other way, with a confounder MIT draws itself.
  bool encryptIov(const KeyBlock& key, int32_t usage, std::span<CryptoIov> iov) const;

  /// krb5_c_make_checksum_iov with the enctype's mandatory checksum: writes the Trailer buffer
  /// (its length must be the checksum's) from the Data and SignOnly buffers.
  bool makeChecksumIov(const KeyBlock& key, int32_t usage, std::span<CryptoIov> iov) const;
  /// krb5_c_verify_checksum_iov of the same.
  bool verifyChecksumIov(const KeyBlock& key, int32_t usage, std::span<CryptoIov> iov) const;

  /// krb5_c_crypto_length for the enctype: confounder (header) and HMAC (trailer) sizes; 0 when
  /// unknown.
  size_t headerLength(int32_t enctype) const;
  size_t trailerLength(int32_t enctype) const;
  size_t checksumLength(int32_t enctype) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bh::secure::emapi
