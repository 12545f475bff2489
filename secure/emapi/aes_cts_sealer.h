#pragma once

// RFC 3961 5.3's simplified-profile encryption for aes128/aes256-cts-hmac-sha1-96 (RFC 3962),
// over an IOV in MIT's order, with the confounder given by the caller. MIT's public
// krb5_c_encrypt_iov draws the confounder itself, so what it seals can never give back the bytes
// a peer sealed; re-sealing an unwrapped PDU byte for byte (the round trip the accelerator's
// tests rest on), and sealing with a confounder of our choosing, needs this. Opening stays MIT's
// (krb5_crypto.h): the tests check that MIT opens what this seals, and that this seals what
// Samba sealed. Keys derived per RFC 3961 5.1/5.3 (n-fold, DK with usage|AA and usage|55),
// AES-CBC with ciphertext stealing (CS3, RFC 3962 5) and HMAC-SHA1-96 from OpenSSL.

#include <cstdint>
#include <span>

#include "common/bytes.h"
#include "secure/emapi/kerberos_messages.h"
#include "secure/emapi/krb5_crypto.h"

namespace bh::secure::emapi {

/// RFC 3961 5.1 n-fold of `in` to `outBytes` bytes.
Bytes nfold(ByteSpan in, size_t outBytes);

/// Encrypts the Header (receives E(confounder)) and Data buffers in place and writes the Trailer
/// (HMAC-SHA1-96 over Header, SignOnly and Data plaintext, in order). `confounder` is 16 bytes.
/// False for another enctype or sizes that do not fit (Header 16, Trailer 12).
bool aesCtsSealIov(const KeyBlock& key, int32_t usage, ByteSpan confounder,
                   std::span<CryptoIov> iov);

}  // namespace bh::secure::emapi
