#pragma once

#include <sys/types.h>

#include <string>

#include "secure/outcome.h"
#include "secure/sealed_file.h"

namespace bh::secure {

/// Where the store key comes from. Under systemd, `LoadCredentialEncrypted=<credential>:...`
/// decrypts it into $CREDENTIALS_DIRECTORY/<credential> (systemd.exec(5), "Credentials"); that
/// wins when present. Outside systemd, `keyFile` is read, and it must be a regular file owned by
/// `keyFileOwner` (root) that neither group nor others may read or write.
struct StoreKeySource {
  std::string credential = "bridgehead-store-key";
  std::string credentialsDirectory;  ///< $CREDENTIALS_DIRECTORY ("" when systemd gave none)
  std::string keyFile = "/etc/bridgehead/store.key";
  uid_t keyFileOwner = 0;

  /// The source as the environment describes it ($CREDENTIALS_DIRECTORY).
  static StoreKeySource fromEnvironment();
};

/// Loads the key: exactly 32 bytes, or 64 hex digits and an optional newline. Errors name the
/// file and the rule it breaks, never the bytes it holds.
Outcome<StoreKey> loadStoreKey(const StoreKeySource& source);

}  // namespace bh::secure
