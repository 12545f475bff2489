#pragma once
// supplementalCredentials, the attribute that carries an account's Kerberos keys (MS-SAMR
// 2.2.10): USER_PROPERTIES (2.2.10.1) holding USER_PROPERTY entries (2.2.10.2) whose values are
// hex-encoded ASCII; the value of "Primary:Kerberos-Newer-Keys" is KERB_STORED_CREDENTIAL_NEW
// (2.2.10.5) with KERB_KEY_DATA_NEW entries (2.2.10.6): the AES keys (etypes 17, 18) and more.
// Pure parse/encode over bytes; both are capped. The values are secrets: nothing here logs or
// prints them, and failures never quote them.

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "secure/outcome.h"

namespace bh::secure::replication {

/// One property of USER_PROPERTIES: its name, and its value decoded from hex.
struct UserProperty {
  std::string name;  ///< e.g. "Primary:Kerberos-Newer-Keys", "Packages"
  Bytes value;
};

/// At most this many properties (Windows writes five or six).
constexpr size_t kMaxUserProperties = 64;
/// At most this many keys in each of the four lists of KERB_STORED_CREDENTIAL_NEW.
constexpr size_t kMaxKeysPerList = 32;

/// MS-SAMR 2.2.10.1: every property, in order. An empty structure (no PropertyCount, 0x6F
/// bytes) has none.
Outcome<std::vector<UserProperty>> parseUserProperties(ByteSpan in);
/// The same layout back (Reserved4 zero, uppercase hex values, Reserved5 one zero byte).
Bytes encodeUserProperties(const std::vector<UserProperty>& props);

/// One key of KERB_KEY_DATA_NEW (MS-SAMR 2.2.10.6).
struct KerberosKey {
  int32_t keyType = 0;  ///< the Kerberos etype (RFC 3961 8: 18 aes256-cts-hmac-sha1-96, ...)
  uint32_t iterationCount = 0;
  Bytes value;
};

/// KERB_STORED_CREDENTIAL_NEW (MS-SAMR 2.2.10.5), revision 4.
struct KerberosNewerKeys {
  std::string defaultSalt;  ///< the string-to-key salt, e.g. "EXAMPLE.COMhostexch1.example.com"
  uint32_t defaultIterationCount = 0;
  std::vector<KerberosKey> credentials;  ///< the current keys
  std::vector<KerberosKey> serviceCredentials;
  std::vector<KerberosKey> oldCredentials;  ///< the keys before the last password change
  std::vector<KerberosKey> olderCredentials;
};

Outcome<KerberosNewerKeys> parseKerberosNewerKeys(ByteSpan in);
Bytes encodeKerberosNewerKeys(const KerberosNewerKeys& keys);

/// The name of the property that holds KerberosNewerKeys.
inline constexpr const char* kKerberosNewerKeysProperty = "Primary:Kerberos-Newer-Keys";

}  // namespace bh::secure::replication
