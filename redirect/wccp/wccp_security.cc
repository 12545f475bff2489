#include "redirect/wccp/wccp_security.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>

#include "redirect/wccp/wccp_message.h"

namespace bh::redirect::wccp {

namespace {

/// 5.6.1: MD5(password NUL-padded to 8 octets || message with the digest zeroed).
std::array<uint8_t, 16> digestOf(ByteSpan message, size_t digestAt, const Md5Password& password) {
  std::array<uint8_t, 8> key{};
  std::copy(password.text().begin(), password.text().end(), key.begin());
  Bytes zeroed(message.begin(), message.end());
  std::fill(zeroed.begin() + static_cast<std::ptrdiff_t>(digestAt),
            zeroed.begin() + static_cast<std::ptrdiff_t>(digestAt + 16), 0);
  std::array<uint8_t, 16> out{};
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, key.data(), key.size()) == 1 &&
            EVP_DigestUpdate(ctx, zeroed.data(), zeroed.size()) == 1 &&
            EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 && len == out.size();
  EVP_MD_CTX_free(ctx);
  OPENSSL_cleanse(key.data(), key.size());
  if (!ok) {
    out.fill(0);  // never matches a real digest: the message is refused, not accepted
  }
  return out;
}

}  // namespace

std::optional<Md5Password> Md5Password::make(std::string_view password, std::string* why) {
  if (password.size() > 8) {
    if (why != nullptr) {
      *why = "a WCCP password is at most 8 characters (this one has " +
             std::to_string(password.size()) + ")";
    }
    return std::nullopt;
  }
  return Md5Password(password);
}

bool signMessage(Bytes& encoded, const Md5Password& password) {
  const size_t at = md5DigestOffset(encoded);
  if (at == 0) {
    return false;
  }
  auto digest = digestOf(encoded, at, password);
  std::copy(digest.begin(), digest.end(), encoded.begin() + static_cast<std::ptrdiff_t>(at));
  return true;
}

const char* securityVerdictName(SecurityVerdict verdict) {
  switch (verdict) {
    case SecurityVerdict::Ok:
      return "ok";
    case SecurityVerdict::Missing:
      return "no MD5 security component";
    case SecurityVerdict::Mismatch:
      return "MD5 digest mismatch (wrong password?)";
  }
  return "unknown";
}

SecurityVerdict verifyMessage(ByteSpan encoded, const Md5Password& password) {
  const size_t at = md5DigestOffset(encoded);
  if (at == 0) {
    return SecurityVerdict::Missing;
  }
  auto digest = digestOf(encoded, at, password);
  return CRYPTO_memcmp(digest.data(), encoded.data() + at, digest.size()) == 0
             ? SecurityVerdict::Ok
             : SecurityVerdict::Mismatch;
}

}  // namespace bh::redirect::wccp
