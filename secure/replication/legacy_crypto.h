#pragma once
// RC4 and single DES for the secrets a domain controller replicates (MS-DRSR 4.1.10.6.17,
// MS-SAMR 2.2.11.1): both live in OpenSSL 3's legacy provider, which this loads into a library
// context of its own, so the rest of the process keeps OpenSSL's defaults.

#include <array>
#include <cstdint>

#include "common/bytes.h"
#include "secure/outcome.h"

namespace bh::secure::replication {

/// RC4 of `data` under `key` (encryption and decryption are the same operation).
Outcome<Bytes> rc4(ByteSpan key, ByteSpan data);

using DesBlock = std::array<uint8_t, 8>;

/// One DES-ECB block under an 8-byte key (parity bits ignored), either direction.
Outcome<DesBlock> desEcb(const DesBlock& key, const DesBlock& block, bool encrypt);

}  // namespace bh::secure::replication
