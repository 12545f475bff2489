// secure/replication against tests/vectors/replication/vectors.json, made by make_vectors.py
// with python3-impacket's MS-SAMR structures and pycryptodome's RC4/DES (an independent
// implementation): what a domain controller replicates of an account's secrets opens to the
// keys the script put in, and our encoders write the same bytes back.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "secure/replication/encrypted_payload.h"
#include "secure/replication/rid_des.h"
#include "secure/replication/supplemental_credentials.h"

using namespace bh;
using namespace bh::secure::replication;

namespace {

const nlohmann::json& vectors() {
  static const nlohmann::json j = [] {
    std::ifstream in(std::string(BH_SOURCE_DIR) + "/tests/vectors/replication/vectors.json");
    return nlohmann::json::parse(in);
  }();
  return j;
}

Bytes hexOf(const char* field) {
  Bytes b;
  REQUIRE(fromHex(vectors()[field].get<std::string>(), b));
  return b;
}

}  // namespace

TEST_CASE("unicodePwd: the ENCRYPTED_PAYLOAD opens, then the RID's DES layer gives the NT hash") {
  for (const char* field : {"unicode_pwd_payload", "unicode_pwd_payload_aes256_session"}) {
    Bytes key = hexOf(std::string(field).find("aes256") != std::string::npos ? "session_key_aes256"
                                                                             : "session_key");
    auto inner = openEncryptedPayload(key, hexOf(field));
    REQUIRE_MESSAGE(inner.ok(), inner.error());
    CHECK(inner.value() == hexOf("unicode_pwd_des"));
    auto hash = decryptHashWithRid(vectors()["rid"].get<uint32_t>(), inner.value());
    REQUIRE(hash.ok());
    CHECK(Bytes(hash.value().begin(), hash.value().end()) == hexOf("nt_hash"));
  }
}

TEST_CASE("the RID's DES layer: encrypt is the inverse, and another RID gives another hash") {
  Bytes nt = hexOf("nt_hash");
  Hash16 h{};
  std::copy(nt.begin(), nt.end(), h.begin());
  uint32_t rid = vectors()["rid"].get<uint32_t>();
  auto enc = encryptHashWithRid(rid, h);
  REQUIRE(enc.ok());
  CHECK(Bytes(enc.value().begin(), enc.value().end()) == hexOf("unicode_pwd_des"));
  auto wrong = decryptHashWithRid(rid + 1, hexOf("unicode_pwd_des"));
  REQUIRE(wrong.ok());
  CHECK(Bytes(wrong.value().begin(), wrong.value().end()) != nt);
  CHECK_FALSE(decryptHashWithRid(rid, ByteSpan(nt.data(), 15)).ok());
}

TEST_CASE("ENCRYPTED_PAYLOAD: a wrong session key, a flipped bit, a short value are refused") {
  Bytes payload = hexOf("unicode_pwd_payload");
  Bytes key = hexOf("session_key");
  Bytes other = key;
  other[0] ^= 1;
  auto wrongKey = openEncryptedPayload(other, payload);
  REQUIRE_FALSE(wrongKey.ok());
  CHECK(wrongKey.error().find("checksum") != std::string::npos);
  for (size_t i = 0; i < payload.size(); ++i) {
    Bytes damaged = payload;
    damaged[i] ^= 0x40;
    CHECK_FALSE(openEncryptedPayload(key, damaged).ok());
  }
  for (size_t n = 0; n < kPayloadHeaderLength; ++n) {
    CHECK_FALSE(openEncryptedPayload(key, ByteSpan(payload.data(), n)).ok());
  }
  CHECK_FALSE(openEncryptedPayload({}, payload).ok());
  Bytes huge(kMaxPayloadLength + 1, 0);
  CHECK(openEncryptedPayload(key, huge).error().find("cap") != std::string::npos);
}

TEST_CASE("ENCRYPTED_PAYLOAD: seal writes what open reads, byte for byte as the script") {
  Bytes payload = hexOf("supplemental_credentials_payload");
  std::array<uint8_t, kPayloadSaltLength> salt{};
  std::copy(payload.begin(), payload.begin() + kPayloadSaltLength, salt.begin());
  auto sealed = sealEncryptedPayload(hexOf("session_key"), salt, hexOf("supplemental_credentials"));
  REQUIRE(sealed.ok());
  CHECK(sealed.value() == payload);
}

TEST_CASE("supplementalCredentials: USER_PROPERTIES and Kerberos-Newer-Keys give the AES keys") {
  auto plain =
      openEncryptedPayload(hexOf("session_key"), hexOf("supplemental_credentials_payload"));
  REQUIRE(plain.ok());
  CHECK(plain.value() == hexOf("supplemental_credentials"));
  auto props = parseUserProperties(plain.value());
  REQUIRE_MESSAGE(props.ok(), props.error());
  REQUIRE(props.value().size() == 2);
  CHECK(props.value()[0].name == kKerberosNewerKeysProperty);
  CHECK(props.value()[1].name == "Packages");
  CHECK(props.value()[0].value == hexOf("kerberos_newer_keys"));
  CHECK(encodeUserProperties(props.value()) == plain.value());

  auto keys = parseKerberosNewerKeys(props.value()[0].value);
  REQUIRE_MESSAGE(keys.ok(), keys.error());
  const auto& k = keys.value();
  CHECK(k.defaultSalt == vectors()["default_salt"].get<std::string>());
  CHECK(k.defaultIterationCount == vectors()["default_iterations"].get<uint32_t>());
  auto same = [](const std::vector<KerberosKey>& got, const nlohmann::json& want) {
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      Bytes v;
      REQUIRE(fromHex(want[i]["key"].get<std::string>(), v));
      CHECK(got[i].keyType == want[i]["etype"].get<int32_t>());
      CHECK(got[i].iterationCount == want[i]["iterations"].get<uint32_t>());
      CHECK(got[i].value == v);
    }
  };
  same(k.credentials, vectors()["credentials"]);
  same(k.oldCredentials, vectors()["old_credentials"]);
  CHECK(k.serviceCredentials.empty());
  CHECK(k.olderCredentials.empty());
  CHECK(encodeKerberosNewerKeys(k) == props.value()[0].value);
}

TEST_CASE("supplementalCredentials: every truncation and malformed field is a named failure") {
  Bytes sc = hexOf("supplemental_credentials");
  // Cut anywhere inside the properties: Length then points past the end.
  for (size_t n = 0; n + 1 < sc.size(); ++n) {
    CHECK_FALSE(parseUserProperties(ByteSpan(sc.data(), n)).ok());
  }
  Bytes badSignature = sc;
  badSignature[108] = 0x51;
  CHECK(parseUserProperties(badSignature).error().find("0x50") != std::string::npos);
  Bytes manyProps = sc;
  manyProps[110] = 0xFF;
  CHECK(parseUserProperties(manyProps).error().find("cap") != std::string::npos);
  Bytes badHex = sc;
  // The first value's first hex digit: after the 6-byte entry header and the 54-byte name.
  badHex[112 + 6 + 54] = 'G';
  CHECK(parseUserProperties(badHex).error().find("hex") != std::string::npos);
  // No property at all (the 0x6F-byte form of MS-SAMR 2.2.10.1).
  Bytes empty = encodeUserProperties({});
  CHECK(empty.size() == 0x6F);
  auto none = parseUserProperties(empty);
  REQUIRE(none.ok());
  CHECK(none.value().empty());

  Bytes nk = hexOf("kerberos_newer_keys");
  for (size_t n = 0; n < nk.size(); ++n) {
    CHECK_FALSE(parseKerberosNewerKeys(ByteSpan(nk.data(), n)).ok());
  }
  Bytes rev3 = nk;
  rev3[0] = 3;
  CHECK(parseKerberosNewerKeys(rev3).error().find("revision") != std::string::npos);
  Bytes farKey = nk;
  farKey[24 + 20] = 0xFF;  // the first key's offset
  farKey[24 + 21] = 0xFF;
  CHECK(parseKerberosNewerKeys(farKey).error().find("outside") != std::string::npos);
  Bytes manyKeys = nk;
  manyKeys[4] = 33;
  CHECK(parseKerberosNewerKeys(manyKeys).error().find("cap") != std::string::npos);
}
