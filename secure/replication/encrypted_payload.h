#pragma once
// An attribute value a domain controller encrypts for replication (unicodePwd,
// supplementalCredentials, ...): MS-DRSR 4.1.10.6.17 DecryptValuesIfNecessary. The value is an
// ENCRYPTED_PAYLOAD: Salt[16], then RC4 under MD5(session key || Salt) of CheckSum[4] (CRC-32 of
// the plain data, little-endian) followed by the data. The session key is the one of the
// DRSUAPI connection's security context (the Kerberos session key of the sealed bind).

#include <array>

#include "common/bytes.h"
#include "secure/outcome.h"

namespace bh::secure::replication {

constexpr size_t kPayloadSaltLength = 16;
constexpr size_t kPayloadHeaderLength = kPayloadSaltLength + 4;
/// No replicated secret comes near this (supplementalCredentials is a few KiB): a longer value
/// is refused before any work.
constexpr size_t kMaxPayloadLength = 1 << 20;

/// The plain data of `payload`, or why not: too short, too long, or a checksum that does not
/// match (the session key is not the one it was sealed with, or the value is damaged).
Outcome<Bytes> openEncryptedPayload(ByteSpan sessionKey, ByteSpan payload);

/// The payload a domain controller would send for `plain` (the same layout, for tests and the
/// lab): Salt || RC4(MD5(sessionKey || Salt), CRC-32 || plain).
Outcome<Bytes> sealEncryptedPayload(ByteSpan sessionKey,
                                    const std::array<uint8_t, kPayloadSaltLength>& salt,
                                    ByteSpan plain);

}  // namespace bh::secure::replication
