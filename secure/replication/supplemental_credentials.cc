#include "secure/replication/supplemental_credentials.h"

#include <cctype>

#include "common/utf16.h"
#include "secure/replication/encrypted_payload.h"

namespace bh::secure::replication {

namespace {

// USER_PROPERTIES (MS-SAMR 2.2.10.1): Reserved1 u32, Length u32 (bytes from Reserved4 to the end
// of UserProperties), Reserved2 u16, Reserved3 u16, Reserved4[96], PropertySignature u16 (0x50),
// PropertyCount u16 (absent when there is no property), UserProperties, Reserved5 u8.
constexpr size_t kReserved4Offset = 12;
constexpr size_t kReserved4Length = 96;
constexpr size_t kSignatureOffset = kReserved4Offset + kReserved4Length;
constexpr uint16_t kPropertySignature = 0x50;

// KERB_STORED_CREDENTIAL_NEW (2.2.10.5): a 24-byte header, then 24-byte KERB_KEY_DATA_NEW
// entries for the four lists in order; offsets count from the start of the structure.
constexpr uint16_t kNewerKeysRevision = 4;
constexpr size_t kNewerKeysHeader = 24;
constexpr size_t kKeyDataLength = 24;

/// The hex-encoded ASCII of a property value (MS-SAMR 2.2.10.2): hex digits only.
bool decodeHexValue(ByteSpan ascii, Bytes& out) {
  for (uint8_t c : ascii) {
    if (std::isxdigit(c) == 0) {
      return false;
    }
  }
  return fromHex(std::string(ascii.begin(), ascii.end()), out);
}

}  // namespace

Outcome<std::vector<UserProperty>> parseUserProperties(ByteSpan in) {
  using Result = Outcome<std::vector<UserProperty>>;
  if (in.size() > kMaxPayloadLength) {
    return Result::failure("supplementalCredentials over the cap");
  }
  ByteReader r(in);
  r.u32();  // Reserved1
  uint32_t length = r.u32();
  r.skip(4 + kReserved4Length);  // Reserved2, Reserved3, Reserved4
  uint16_t signature = r.u16();
  if (!r.ok()) {
    return Result::failure("supplementalCredentials of " + std::to_string(in.size()) +
                           " bytes is shorter than its header");
  }
  if (signature != kPropertySignature) {
    return Result::failure("supplementalCredentials: PropertySignature is not 0x50");
  }
  if (length < kReserved4Length + 2 || length > in.size() - kReserved4Offset) {
    return Result::failure("supplementalCredentials: Length " + std::to_string(length) +
                           " does not fit its " + std::to_string(in.size()) + " bytes");
  }
  const size_t end = kReserved4Offset + length;
  std::vector<UserProperty> props;
  if (end < kSignatureOffset + 4) {
    return Result::success(std::move(props));  // no PropertyCount: no property
  }
  ByteReader body(in.subspan(kSignatureOffset + 2, end - kSignatureOffset - 2));
  uint16_t count = body.u16();
  if (count > kMaxUserProperties) {
    return Result::failure("supplementalCredentials: " + std::to_string(count) +
                           " properties, over the cap of " + std::to_string(kMaxUserProperties));
  }
  for (uint16_t i = 0; i < count; ++i) {
    uint16_t nameLength = body.u16();
    uint16_t valueLength = body.u16();
    body.u16();  // Reserved
    ByteSpan name = body.take(nameLength);
    ByteSpan value = body.take(valueLength);
    if (!body.ok()) {
      return Result::failure("supplementalCredentials: property " + std::to_string(i) +
                             " runs past Length");
    }
    UserProperty p;
    if (!utf16leToUtf8(name, p.name)) {
      return Result::failure("supplementalCredentials: property " + std::to_string(i) +
                             " has a name that is not UTF-16");
    }
    if (!decodeHexValue(value, p.value)) {
      return Result::failure("supplementalCredentials: the value of " + p.name +
                             " is not hex-encoded");
    }
    props.push_back(std::move(p));
  }
  return Result::success(std::move(props));
}

Bytes encodeUserProperties(const std::vector<UserProperty>& props) {
  static const char* kHex = "0123456789ABCDEF";
  Bytes out;
  ByteWriter w(out);
  w.u32(0);
  size_t lengthAt = w.size();
  w.u32(0);
  w.u16(0);
  w.u16(0);
  w.zeros(kReserved4Length);
  w.u16(kPropertySignature);
  if (!props.empty()) {
    w.u16(static_cast<uint16_t>(props.size()));
    for (const UserProperty& p : props) {
      Bytes name;
      utf8ToUtf16le(p.name, name);
      w.u16(static_cast<uint16_t>(name.size()));
      w.u16(static_cast<uint16_t>(p.value.size() * 2));
      w.u16(0);
      w.bytes(name);
      for (uint8_t b : p.value) {
        w.u8(static_cast<uint8_t>(kHex[b >> 4]));
        w.u8(static_cast<uint8_t>(kHex[b & 0x0F]));
      }
    }
  }
  w.patch32(lengthAt, static_cast<uint32_t>(w.size() - kReserved4Offset));
  w.u8(0);  // Reserved5
  return out;
}

Outcome<KerberosNewerKeys> parseKerberosNewerKeys(ByteSpan in) {
  using Result = Outcome<KerberosNewerKeys>;
  if (in.size() > kMaxPayloadLength) {
    return Result::failure("Kerberos-Newer-Keys over the cap");
  }
  ByteReader r(in);
  uint16_t revision = r.u16();
  r.u16();  // Flags
  uint16_t counts[4] = {r.u16(), r.u16(), r.u16(), r.u16()};
  uint16_t saltLength = r.u16();
  r.u16();  // DefaultSaltMaximumLength
  uint32_t saltOffset = r.u32();
  KerberosNewerKeys keys;
  keys.defaultIterationCount = r.u32();
  if (!r.ok()) {
    return Result::failure("Kerberos-Newer-Keys of " + std::to_string(in.size()) +
                           " bytes is shorter than its header");
  }
  if (revision != kNewerKeysRevision) {
    return Result::failure("Kerberos-Newer-Keys revision " + std::to_string(revision) + ", not 4");
  }
  auto within = [&](uint64_t offset, uint64_t length) {
    return offset <= in.size() && length <= in.size() - offset;
  };
  if (!within(saltOffset, saltLength) ||
      !utf16leToUtf8(in.subspan(saltOffset, saltLength), keys.defaultSalt)) {
    return Result::failure(
        "Kerberos-Newer-Keys: the default salt is outside the value or not "
        "UTF-16");
  }
  std::vector<KerberosKey>* lists[4] = {&keys.credentials, &keys.serviceCredentials,
                                        &keys.oldCredentials, &keys.olderCredentials};
  for (int l = 0; l < 4; ++l) {
    if (counts[l] > kMaxKeysPerList) {
      return Result::failure("Kerberos-Newer-Keys: " + std::to_string(counts[l]) +
                             " keys in one list, over the cap of " +
                             std::to_string(kMaxKeysPerList));
    }
    for (uint16_t i = 0; i < counts[l]; ++i) {
      r.u16();  // Reserved1
      r.u16();  // Reserved2
      r.u32();  // Reserved3
      KerberosKey k;
      k.iterationCount = r.u32();
      k.keyType = static_cast<int32_t>(r.u32());
      uint32_t keyLength = r.u32();
      uint32_t keyOffset = r.u32();
      if (!r.ok()) {
        return Result::failure("Kerberos-Newer-Keys: the key entries run past the value");
      }
      if (!within(keyOffset, keyLength)) {
        return Result::failure("Kerberos-Newer-Keys: a key of etype " + std::to_string(k.keyType) +
                               " lies outside the value");
      }
      ByteSpan v = in.subspan(keyOffset, keyLength);
      k.value.assign(v.begin(), v.end());
      lists[l]->push_back(std::move(k));
    }
  }
  return Result::success(std::move(keys));
}

Bytes encodeKerberosNewerKeys(const KerberosNewerKeys& keys) {
  const std::vector<KerberosKey>* lists[4] = {&keys.credentials, &keys.serviceCredentials,
                                              &keys.oldCredentials, &keys.olderCredentials};
  size_t entries = 0;
  for (auto* l : lists) {
    entries += l->size();
  }
  Bytes salt;
  utf8ToUtf16le(keys.defaultSalt, salt);
  const size_t saltOffset = kNewerKeysHeader + entries * kKeyDataLength;
  size_t valueOffset = saltOffset + salt.size();
  Bytes out;
  ByteWriter w(out);
  w.u16(kNewerKeysRevision);
  w.u16(0);
  for (auto* l : lists) {
    w.u16(static_cast<uint16_t>(l->size()));
  }
  w.u16(static_cast<uint16_t>(salt.size()));
  w.u16(static_cast<uint16_t>(salt.size()));
  w.u32(static_cast<uint32_t>(saltOffset));
  w.u32(keys.defaultIterationCount);
  for (auto* l : lists) {
    for (const KerberosKey& k : *l) {
      w.u16(0);
      w.u16(0);
      w.u32(0);
      w.u32(k.iterationCount);
      w.u32(static_cast<uint32_t>(k.keyType));
      w.u32(static_cast<uint32_t>(k.value.size()));
      w.u32(static_cast<uint32_t>(valueOffset));
      valueOffset += k.value.size();
    }
  }
  w.bytes(salt);
  for (auto* l : lists) {
    for (const KerberosKey& k : *l) {
      w.bytes(k.value);
    }
  }
  return out;
}

}  // namespace bh::secure::replication
