#include "secure/encryption_service/key_cache_record.h"

#include <cstring>

namespace bh::secure::encryption_service {

namespace {

constexpr uint8_t kVersion = 1;
constexpr char kMagic[4] = {'B', 'H', 'K', 'C'};

void putString(ByteWriter& w, const std::string& s) {
  w.u16be(static_cast<uint16_t>(s.size()));
  w.bytes(ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

bool getString(ByteReader& r, std::string& out, size_t cap, std::string& why, const char* what) {
  uint16_t n = r.u16be();
  if (!r.ok()) {
    why = std::string("truncated before the length of ") + what;
    return false;
  }
  if (n > cap) {
    why = std::string(what) + " of " + std::to_string(n) + " bytes (at most " +
          std::to_string(cap) + ")";
    return false;
  }
  ByteSpan b = r.take(n);
  if (!r.ok()) {
    why = std::string("truncated inside ") + what;
    return false;
  }
  out.assign(reinterpret_cast<const char*>(b.data()), b.size());
  return true;
}

}  // namespace

Bytes encodeKeyCacheRecord(const KeyCache& cache) {
  Bytes out;
  ByteWriter w(out, Endian::Big);
  w.bytes(ByteSpan(reinterpret_cast<const uint8_t*>(kMagic), sizeof(kMagic)));
  w.u8(kVersion);
  auto entries = cache.entries();
  w.u16be(static_cast<uint16_t>(entries.size()));
  for (const SpnKeys* e : entries) {
    putString(w, e->spn);
    putString(w, e->domain);
    putString(w, e->account);
    putString(w, e->source);
    w.u32be(static_cast<uint32_t>(static_cast<uint64_t>(e->fetchedAt) >> 32));
    w.u32be(static_cast<uint32_t>(static_cast<uint64_t>(e->fetchedAt)));
    w.u8(static_cast<uint8_t>(e->keys.size()));
    for (const auto& k : e->keys) {
      w.u32be(static_cast<uint32_t>(k.etype));
      w.u32be(k.kvno);
      w.u16be(static_cast<uint16_t>(k.value.size()));
      w.bytes(k.value);
    }
  }
  return out;
}

Outcome<std::vector<SpnKeys>> decodeKeyCacheRecord(ByteSpan record, const KeyCacheLimits& limits) {
  using Result = Outcome<std::vector<SpnKeys>>;
  ByteReader r(record, Endian::Big);
  ByteSpan magic = r.take(sizeof(kMagic));
  if (!r.ok() || std::memcmp(magic.data(), kMagic, sizeof(kMagic)) != 0) {
    return Result::failure("not a key cache record (no BHKC magic)");
  }
  uint8_t version = r.u8();
  uint16_t count = r.u16be();
  if (!r.ok()) {
    return Result::failure("key cache record truncated in its header");
  }
  if (version != kVersion) {
    return Result::failure("key cache record version " + std::to_string(version) +
                           " (this build reads version 1)");
  }
  if (count > limits.maxSpns) {
    return Result::failure("key cache record of " + std::to_string(count) + " SPNs (at most " +
                           std::to_string(limits.maxSpns) + ")");
  }
  std::vector<SpnKeys> out;
  out.reserve(count);
  std::string why;
  for (uint16_t i = 0; i < count; ++i) {
    SpnKeys e;
    if (!getString(r, e.spn, limits.maxNameBytes, why, "an SPN") ||
        !getString(r, e.domain, limits.maxNameBytes, why, "a domain") ||
        !getString(r, e.account, limits.maxNameBytes, why, "an account") ||
        !getString(r, e.source, limits.maxNameBytes, why, "a source")) {
      return Result::failure("key cache record entry " + std::to_string(i) + ": " + why);
    }
    uint64_t hi = r.u32be();
    uint64_t lo = r.u32be();
    e.fetchedAt = static_cast<int64_t>((hi << 32) | lo);
    uint8_t keys = r.u8();
    if (!r.ok()) {
      return Result::failure("key cache record entry " + std::to_string(i) + " truncated");
    }
    if (keys == 0 || keys > limits.maxKeysPerSpn) {
      return Result::failure("key cache record entry " + std::to_string(i) + " has " +
                             std::to_string(keys) + " keys (1 to " +
                             std::to_string(limits.maxKeysPerSpn) + ")");
    }
    for (uint8_t k = 0; k < keys; ++k) {
      ServiceKey key;
      key.etype = static_cast<int32_t>(r.u32be());
      key.kvno = r.u32be();
      uint16_t n = r.u16be();
      if (!r.ok()) {
        return Result::failure("key cache record entry " + std::to_string(i) + " truncated");
      }
      if (n == 0 || n > limits.maxKeyBytes) {
        return Result::failure("key cache record entry " + std::to_string(i) + " has a " +
                               std::to_string(n) + "-byte key (1 to " +
                               std::to_string(limits.maxKeyBytes) + ")");
      }
      ByteSpan v = r.take(n);
      if (!r.ok()) {
        return Result::failure("key cache record entry " + std::to_string(i) + " truncated");
      }
      key.value.assign(v.begin(), v.end());
      e.keys.push_back(std::move(key));
    }
    if (e.spn.empty()) {
      return Result::failure("key cache record entry " + std::to_string(i) + " has no SPN");
    }
    out.push_back(std::move(e));
  }
  if (r.remaining() != 0) {
    return Result::failure("key cache record has " + std::to_string(r.remaining()) +
                           " bytes after its last entry");
  }
  return Result::success(std::move(out));
}

}  // namespace bh::secure::encryption_service
