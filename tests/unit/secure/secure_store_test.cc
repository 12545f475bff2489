#include "secure/secure_store.h"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "lab_ca.h"
#include "secure/default_identity.h"
#include "secure/store_key_source.h"

using namespace bh;
using namespace bh::secure;
using bh::secure::test::TempDir;
namespace fs = std::filesystem;

namespace {

Bytes keyBytes(uint8_t seed) {
  Bytes k(32);
  for (size_t i = 0; i < k.size(); ++i) {
    k[i] = static_cast<uint8_t>(seed * 31 + i * 7 + 1);
  }
  return k;
}

ByteSpan spanOf(const std::string& s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

Bytes readAll(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

void writeAll(const fs::path& p, ByteSpan b, mode_t mode) {
  {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }
  ::chmod(p.c_str(), mode);
}

std::string hexOf(const Bytes& b, bool upper) {
  std::string out;
  const char* d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  for (uint8_t x : b) {
    out += d[x >> 4];
    out += d[x & 15];
  }
  return out;
}

std::string base64Of(const Bytes& b) {
  std::string out(4 * ((b.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), b.data(),
                          static_cast<int>(b.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// True if `text` holds the key, or any 8-byte run of it, in hex or base64.
bool leaksKey(const std::string& text, const Bytes& key) {
  for (size_t i = 0; i + 8 <= key.size(); i += 4) {
    Bytes run(key.begin() + static_cast<long>(i), key.begin() + static_cast<long>(i) + 8);
    std::string b64 = base64Of(run).substr(0, 8);
    if (text.find(hexOf(run, false)) != std::string::npos ||
        text.find(hexOf(run, true)) != std::string::npos || text.find(b64) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("store: a secret round-trips through a reopened store") {
  TempDir t;
  std::string dir = (t.path / "store").string();
  StoreKey key(keyBytes(1));
  {
    SecureStore s(dir, ::geteuid());
    CHECK(s.state() == SecureStoreState::Uninitialized);
    REQUIRE(s.initialize(key));
    CHECK(s.state() == SecureStoreState::Open);
    REQUIRE(s.put("peering-key", spanOf("the secret")).ok());
  }
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  REQUIRE(::stat((dir + "/peering-key").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  Bytes onDisk = readAll(dir + "/peering-key");
  CHECK(std::string(onDisk.begin(), onDisk.end()).find("the secret") == std::string::npos);

  SecureStore s(dir, ::geteuid());
  CHECK(s.state() == SecureStoreState::Initialized);
  CHECK_FALSE(s.get("peering-key").ok());  // not open yet
  REQUIRE(s.open(key));
  auto got = s.get("peering-key");
  REQUIRE(got.ok());
  CHECK(std::string(got.value().begin(), got.value().end()) == "the secret");
  CHECK_FALSE(s.get("no-such").ok());
  CHECK_FALSE(s.put("../escape", spanOf("x")).ok());
  CHECK_FALSE(s.put(".hidden", spanOf("x")).ok());
}

TEST_CASE("store: tampered and renamed files do not open") {
  TempDir t;
  std::string dir = (t.path / "store").string();
  SecureStore s(dir, ::geteuid());
  REQUIRE(s.initialize(StoreKey(keyBytes(2))));
  REQUIRE(s.put("a", spanOf("secret a")).ok());
  Bytes file = readAll(dir + "/a");

  SUBCASE("every byte flipped in turn") {
    for (size_t i = 0; i < file.size(); ++i) {
      Bytes bad = file;
      bad[i] ^= 0x80;
      writeAll(dir + "/a", bad, 0600);
      CHECK_FALSE(s.get("a").ok());
    }
  }
  SUBCASE("another entry's file under this name (the name is authenticated)") {
    writeAll(dir + "/b", file, 0600);
    auto got = s.get("b");
    CHECK_FALSE(got.ok());
    CHECK(got.error().find("does not authenticate") != std::string::npos);
  }
  SUBCASE("a truncated file") {
    writeAll(dir + "/a", ByteSpan(file).first(file.size() - 1), 0600);
    CHECK_FALSE(s.get("a").ok());
  }
}

TEST_CASE("store: the wrong key leaves it locked with the reason") {
  TempDir t;
  std::string dir = (t.path / "store").string();
  {
    SecureStore s(dir, ::geteuid());
    REQUIRE(s.initialize(StoreKey(keyBytes(3))));
  }
  SecureStore s(dir, ::geteuid());
  CHECK_FALSE(s.open(StoreKey(keyBytes(4))));
  CHECK(s.state() == SecureStoreState::Locked);
  CHECK(s.reason().find("wrong key") != std::string::npos);
  CHECK_FALSE(s.get("store-key-check").ok());
}

TEST_CASE("store: a directory with the wrong mode or owner is refused") {
  TempDir t;
  std::string dir = (t.path / "store").string();
  {
    SecureStore s(dir, ::geteuid());
    REQUIRE(s.initialize(StoreKey(keyBytes(5))));
  }
  SUBCASE("mode 0755") {
    ::chmod(dir.c_str(), 0755);
    SecureStore s(dir, ::geteuid());
    CHECK_FALSE(s.open(StoreKey(keyBytes(5))));
    CHECK(s.state() == SecureStoreState::Locked);
    CHECK(s.reason().find("0755") != std::string::npos);
  }
  SUBCASE("another owner") {
    SecureStore s(dir, ::geteuid() + 1);
    CHECK_FALSE(s.open(StoreKey(keyBytes(5))));
    CHECK(s.state() == SecureStoreState::Locked);
    CHECK(s.reason().find("owned by uid") != std::string::npos);
  }
  SUBCASE("the right ones open") {
    SecureStore s(dir, ::geteuid());
    CHECK(s.open(StoreKey(keyBytes(5))));
  }
}

TEST_CASE("store key: systemd credential, root-only key file, refusals") {
  TempDir t;
  Bytes key = keyBytes(6);
  StoreKeySource src;
  src.keyFile = (t.path / "store.key").string();
  src.keyFileOwner = ::geteuid();

  SUBCASE("a 0600 key file of 32 raw bytes") {
    writeAll(src.keyFile, key, 0600);
    auto k = loadStoreKey(src);
    REQUIRE(k.ok());
    CHECK(std::equal(key.begin(), key.end(), k.value().data()));
  }
  SUBCASE("64 hex digits and a newline") {
    std::string hex = hexOf(key, false) + "\n";
    writeAll(src.keyFile, spanOf(hex), 0400);
    auto k = loadStoreKey(src);
    REQUIRE(k.ok());
    CHECK(std::equal(key.begin(), key.end(), k.value().data()));
  }
  SUBCASE("readable by others") {
    writeAll(src.keyFile, key, 0644);
    auto k = loadStoreKey(src);
    REQUIRE_FALSE(k.ok());
    CHECK(k.error().find("0644") != std::string::npos);
  }
  SUBCASE("owned by another user") {
    writeAll(src.keyFile, key, 0600);
    src.keyFileOwner = ::geteuid() + 1;
    CHECK_FALSE(loadStoreKey(src).ok());
  }
  SUBCASE("the credential directory wins over the key file") {
    fs::create_directories(t.path / "creds");
    Bytes other = keyBytes(7);
    writeAll(t.path / "creds" / src.credential, other, 0400);
    writeAll(src.keyFile, key, 0600);
    src.credentialsDirectory = (t.path / "creds").string();
    auto k = loadStoreKey(src);
    REQUIRE(k.ok());
    CHECK(std::equal(other.begin(), other.end(), k.value().data()));
  }
  SUBCASE("a key of the wrong length") {
    writeAll(src.keyFile, ByteSpan(key).first(31), 0600);
    CHECK_FALSE(loadStoreKey(src).ok());
  }
}

TEST_CASE("store: no error string carries key bytes in hex or base64") {
  TempDir t;
  Bytes key = keyBytes(8);
  Bytes wrong = keyBytes(9);
  std::vector<std::string> errors;

  StoreKeySource src;
  src.keyFile = (t.path / "store.key").string();
  src.keyFileOwner = ::geteuid();
  for (mode_t mode : {0644, 0600}) {
    for (std::string content : {std::string(key.begin(), key.end()) + "x", hexOf(key, false) + "zz",
                                hexOf(key, true).substr(0, 63)}) {
      writeAll(src.keyFile, spanOf(content), mode);
      auto k = loadStoreKey(src);
      REQUIRE_FALSE(k.ok());
      errors.push_back(k.error());
    }
  }
  std::string dir = (t.path / "store").string();
  {
    SecureStore s(dir, ::geteuid());
    REQUIRE(s.initialize(StoreKey(key)));
    REQUIRE(s.put("peering-key", key).ok());
    Bytes file = readAll(dir + "/peering-key");
    file[30] ^= 1;
    writeAll(dir + "/peering-key", file, 0600);
    auto g = s.get("peering-key");
    REQUIRE_FALSE(g.ok());
    errors.push_back(g.error());
  }
  SecureStore s(dir, ::geteuid());
  REQUIRE_FALSE(s.open(StoreKey(wrong)));
  errors.push_back(s.reason());

  for (const auto& e : errors) {
    CHECK_MESSAGE(!leaksKey(e, key), e);
    CHECK_MESSAGE(!leaksKey(e, wrong), e);
  }
  // The detector itself finds a leak.
  CHECK(leaksKey("key " + hexOf(key, true), key));
  CHECK(leaksKey("key " + base64Of(key), key));
}

TEST_CASE("sealed file: malformed files are refused by the framing") {
  StoreKey key(keyBytes(10));
  auto sealed = sealEntry(key, "x", spanOf("hello"));
  REQUIRE(sealed.ok());
  const Bytes good = sealed.value();
  SealedFileView v;
  REQUIRE(parseSealedFile(good, v).ok());
  CHECK(v.ciphertext.size() == 5);

  auto refused = [&](Bytes b, const char* why) {
    ParseResult r = parseSealedFile(b, v);
    CHECK(r.status == ParseStatus::Error);
    CHECK_MESSAGE(r.error.find(why) != std::string::npos, r.error);
  };
  refused(Bytes(good.begin(), good.begin() + 10), "truncated");
  Bytes b = good;
  b[0] = 'X';
  refused(b, "magic");
  b = good;
  b[4] = 2;
  refused(b, "version 2");
  b = good;
  b[6] = 1;
  refused(b, "reserved");
  b = good;
  b[20] = 0x7f;
  refused(b, "exceeds the cap");
  b = good;
  b.push_back(0);
  refused(b, "does not match");
  CHECK_FALSE(openEntry(StoreKey(keyBytes(11)), "x", good).ok());
  CHECK(openEntry(key, "x", good).ok());
}

TEST_CASE("default identity: made at first start, the same at every later start") {
  TempDir t;
  std::string dir = (t.path / "store").string();
  StoreKey key(keyBytes(12));
  std::string firstPem;
  {
    SecureStore s(dir, ::geteuid());
    REQUIRE(s.initialize(key));
    auto id = loadOrCreateDefaultIdentity(s, "edge-1");
    REQUIRE_MESSAGE(id.ok(), id.error());
    CHECK(id.value().defaultSelfSigned);
    CHECK(isDefaultSelfSigned(id.value().certificate.get()));
    firstPem = id.value().certificatePem();
  }
  Bytes keyFile = readAll(fs::path(dir) / kPeeringKeyEntry);
  CHECK(std::string(keyFile.begin(), keyFile.end()).find("PRIVATE KEY") == std::string::npos);
  SecureStore s(dir, ::geteuid());
  REQUIRE(s.open(key));
  auto id = loadOrCreateDefaultIdentity(s, "edge-1");
  REQUIRE(id.ok());
  CHECK(id.value().certificatePem() == firstPem);

  SecureStore locked(dir, ::geteuid());
  CHECK_FALSE(loadOrCreateDefaultIdentity(locked, "edge-1").ok());
}

TEST_CASE("sealed file: a file sealed by another implementation of format v1 opens") {
  // tests/fuzz/secure/gen_sealed_file_corpus.py seals with Python's AESGCM, not this code.
  fs::path dir = fs::path(BH_SOURCE_DIR) / "tests/fuzz/corpus/sealed_file";
  StoreKey key(Bytes(32, 0x42));
  auto good = openEntry(key, "peering-key", readAll(dir / "good"));
  REQUIRE_MESSAGE(good.ok(), good.error());
  CHECK(std::string(good.value().begin(), good.value().end()).find("fuzz") != std::string::npos);
  CHECK(openEntry(key, "peering-key", readAll(dir / "empty_secret")).ok());
  for (const char* bad :
       {"other_name", "version_2", "flipped_tag", "truncated", "length_over_cap"}) {
    CHECK_MESSAGE(!openEntry(key, "peering-key", readAll(dir / bad)).ok(), bad);
  }
}
