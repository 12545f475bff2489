#pragma once
// The inner layer of unicodePwd (and of the password histories) in replication: the 16-byte NT
// hash encrypted with DES-ECB under two keys derived from the account's RID (MS-SAMR 2.2.11.1.3
// "Deriving Key1 and Key2 from a Little-Endian, Unsigned Integer Key", 2.2.11.1.2 "Encrypting a
// 64-Bit Block with a 7-Byte Key", 2.2.11.1.1 "Encrypting an NT or LM Hash Value with a
// Specified Key"). The outer layer is the ENCRYPTED_PAYLOAD (encrypted_payload.h).

#include <array>
#include <cstdint>

#include "common/bytes.h"
#include "secure/outcome.h"

namespace bh::secure::replication {

using Hash16 = std::array<uint8_t, 16>;

/// The NT hash from its RID-encrypted form (exactly 16 bytes, or a failure).
Outcome<Hash16> decryptHashWithRid(uint32_t rid, ByteSpan encrypted);
/// The RID-encrypted form of a hash (what the directory stores and replicates).
Outcome<Hash16> encryptHashWithRid(uint32_t rid, const Hash16& hash);

/// The 8-byte DES key of a 7-byte key: 56 bits spread over the top seven bits of each byte
/// (MS-SAMR 2.2.11.1.2; the parity bit is left zero, DES ignores it).
std::array<uint8_t, 8> desKeyFrom7(const std::array<uint8_t, 7>& k);

}  // namespace bh::secure::replication
