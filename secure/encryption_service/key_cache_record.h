#pragma once

// The key cache at rest: one secure-store entry ("encryption-keys", sealed with the store key by
// secure/sealed_file.h) holding every cached SPN's keys, so a restarted core opens sealed sessions
// at once. The record is ours (no spec): version 1, all integers big-endian:
//
//   "BHKC" | version u8 (1) | entry count u16
//   per entry: spn, domain, account, source (each u16 length + bytes) | fetchedAt i64 |
//              key count u8 | per key: etype i32, kvno u32, length u16, bytes
//
// Decoding checks every count and length against KeyCacheLimits before reading the bytes; a
// record from a damaged or foreign file is refused whole, with the reason (never a key byte).

#include "common/bytes.h"
#include "secure/encryption_service/key_cache.h"
#include "secure/outcome.h"

namespace bh::secure::encryption_service {

/// The secure-store entry name.
inline constexpr const char* kKeyCacheStoreEntry = "encryption-keys";

Bytes encodeKeyCacheRecord(const KeyCache& cache);
/// Every entry of the record; refused when any count or length is over `limits`, truncated,
/// followed by extra bytes, or of another version.
Outcome<std::vector<SpnKeys>> decodeKeyCacheRecord(ByteSpan record, const KeyCacheLimits& limits);

}  // namespace bh::secure::encryption_service
