#include "secure/encryption_service/key_cache.h"

#include <doctest/doctest.h>

#include "secure/encryption_service/key_cache_record.h"

using namespace bh;
using namespace bh::secure::encryption_service;

namespace {

SpnKeys keysFor(std::string spn, int64_t at, uint32_t kvno = 2) {
  SpnKeys k;
  k.spn = std::move(spn);
  k.domain = "example.com";
  k.account = "EXCH1$";
  k.source = "svc";
  k.fetchedAt = at;
  k.keys.push_back({kEtypeAes256, kvno, Bytes(32, 0xa5)});
  k.keys.push_back({kEtypeRc4, kvno, Bytes(16, 0x5a)});
  return k;
}

}  // namespace

TEST_CASE("key cache: found by SPN whatever its case; the keys by etype and kvno") {
  KeyCache c;
  REQUIRE(c.put(keysFor("exchangeMDB/exch1.example.com", 1)));
  const SpnKeys* k = c.find("EXCHANGEMDB/Exch1.Example.Com");
  REQUIRE(k != nullptr);
  CHECK(k->kvno() == 2);
  REQUIRE(k->find(kEtypeRc4, 2) != nullptr);
  CHECK(k->find(kEtypeRc4, 2)->value.size() == 16);
  CHECK(k->find(kEtypeAes128, 2) == nullptr);
  CHECK(k->find(kEtypeAes256, 3) == nullptr);
  CHECK(k->describe() == "aes256-cts-hmac-sha1-96 kvno 2, arcfour-hmac kvno 2");
  CHECK(c.find("exchangeMDB/exch2.example.com") == nullptr);
  CHECK(c.isStale("exchangeMDB/exch1.example.com", 3));
  CHECK_FALSE(c.isStale("exchangeMDB/exch1.example.com", 2));
  CHECK_FALSE(c.isStale("exchangeMDB/unknown.example.com", 9));
  CHECK(c.erase("exchangemdb/EXCH1.example.com"));
  CHECK(c.size() == 0);
}

TEST_CASE("key cache: the SPN cap drops the entry fetched longest ago") {
  KeyCacheLimits l;
  l.maxSpns = 3;
  KeyCache c(l);
  REQUIRE(c.put(keysFor("exchangeMDB/a.example.com", 30)));
  REQUIRE(c.put(keysFor("exchangeMDB/b.example.com", 10)));
  REQUIRE(c.put(keysFor("exchangeMDB/c.example.com", 20)));
  REQUIRE(c.put(keysFor("exchangeMDB/d.example.com", 40)));
  CHECK(c.size() == 3);
  CHECK(c.find("exchangeMDB/b.example.com") == nullptr);
  CHECK(c.find("exchangeMDB/a.example.com") != nullptr);
  // Replacing an entry does not evict another.
  REQUIRE(c.put(keysFor("exchangeMDB/a.example.com", 50, 3)));
  CHECK(c.size() == 3);
  CHECK(c.find("exchangeMDB/a.example.com")->kvno() == 3);
}

TEST_CASE("key cache: entries over a per-entry cap, or without keys, are refused") {
  KeyCacheLimits l;
  l.maxKeysPerSpn = 2;
  l.maxKeyBytes = 32;
  l.maxNameBytes = 40;
  KeyCache c(l);
  std::string why;
  SpnKeys many = keysFor("exchangeMDB/a.example.com", 1);
  many.keys.push_back({kEtypeAes128, 2, Bytes(16, 1)});
  CHECK_FALSE(c.put(many, &why));
  CHECK(why.find("3 keys") != std::string::npos);
  SpnKeys big = keysFor("exchangeMDB/a.example.com", 1);
  big.keys[0].value.resize(33);
  CHECK_FALSE(c.put(big, &why));
  SpnKeys none = keysFor("exchangeMDB/a.example.com", 1);
  none.keys.clear();
  CHECK_FALSE(c.put(none, &why));
  SpnKeys longName = keysFor("exchangeMDB/" + std::string(40, 'x'), 1);
  CHECK_FALSE(c.put(longName, &why));
  CHECK(c.size() == 0);
  CHECK(c.put(keysFor("exchangeMDB/a.example.com", 1), &why));
}

TEST_CASE("key cache record: round trip, and the bytes of a known record") {
  KeyCache c;
  REQUIRE(c.put(keysFor("exchangeMDB/b.example.com", 0x0102030405060708, 7)));
  REQUIRE(c.put(keysFor("exchangeMDB/a.example.com", 5, 2)));
  Bytes rec = encodeKeyCacheRecord(c);
  auto back = decodeKeyCacheRecord(rec, c.limits());
  REQUIRE(back.ok());
  REQUIRE(back.value().size() == 2);
  CHECK(back.value()[0].spn == "exchangeMDB/a.example.com");
  CHECK(back.value()[1].fetchedAt == 0x0102030405060708);
  CHECK(back.value()[1].keys[0].kvno == 7);
  CHECK(back.value()[1].keys[0].value == Bytes(32, 0xa5));
  CHECK(back.value()[1].account == "EXCH1$");
  KeyCache again;
  for (auto& e : back.value()) {
    REQUIRE(again.put(e));
  }
  CHECK(encodeKeyCacheRecord(again) == rec);

  KeyCache one;
  SpnKeys k;
  k.spn = "s";
  k.fetchedAt = 1;
  k.keys.push_back({kEtypeAes128, 1, Bytes{0xee}});
  REQUIRE(one.put(k));
  // "BHKC" v1, 1 entry; "s", "", "", ""; fetchedAt 1; 1 key: etype 17, kvno 1, 1 byte 0xee.
  CHECK(toHex(encodeKeyCacheRecord(one)) ==
        "42484b4301"
        "0001"
        "000173"
        "0000"
        "0000"
        "0000"
        "0000000000000001"
        "01"
        "00000011"
        "00000001"
        "0001"
        "ee");
}

TEST_CASE("key cache record: every truncation, every cap and trailing bytes are refused") {
  KeyCache c;
  REQUIRE(c.put(keysFor("exchangeMDB/a.example.com", 5)));
  Bytes rec = encodeKeyCacheRecord(c);
  for (size_t n = 0; n < rec.size(); ++n) {
    CAPTURE(n);
    CHECK_FALSE(decodeKeyCacheRecord(ByteSpan(rec).first(n), c.limits()).ok());
  }
  Bytes longer = rec;
  longer.push_back(0);
  auto extra = decodeKeyCacheRecord(longer, c.limits());
  REQUIRE_FALSE(extra.ok());
  CHECK(extra.error().find("after its last entry") != std::string::npos);

  KeyCacheLimits tight;
  tight.maxSpns = 0;
  CHECK(decodeKeyCacheRecord(rec, tight).error().find("SPNs") != std::string::npos);
  tight = {};
  tight.maxKeysPerSpn = 1;
  CHECK(decodeKeyCacheRecord(rec, tight).error().find("keys") != std::string::npos);
  tight = {};
  tight.maxKeyBytes = 16;
  CHECK(decodeKeyCacheRecord(rec, tight).error().find("32-byte key") != std::string::npos);
  tight = {};
  tight.maxNameBytes = 10;
  CHECK(decodeKeyCacheRecord(rec, tight).error().find("an SPN of") != std::string::npos);

  Bytes badMagic = rec;
  badMagic[0] = 'X';
  CHECK_FALSE(decodeKeyCacheRecord(badMagic, c.limits()).ok());
  Bytes badVersion = rec;
  badVersion[4] = 2;
  CHECK(decodeKeyCacheRecord(badVersion, c.limits()).error().find("version 2") !=
        std::string::npos);
  // No failure quotes the key bytes.
  Bytes cut = rec;
  cut.pop_back();
  CHECK(decodeKeyCacheRecord(cut, c.limits()).error().find("a5") == std::string::npos);
}
