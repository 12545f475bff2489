#pragma once

// What an identity proves itself with, read while the daemon is still root (before it drops to
// its user): a User's password (a root-only file, or a systemd credential), a Machine's or a
// Keytab identity's keytab. Kept in memory, wiped when dropped, handed to the retrieval that
// needs them; never logged. A file the daemon cannot read again after the drop (a reload) keeps
// the copy read at start as long as the identity's settings are unchanged.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "secure/encryption_service/identity.h"
#include "secure/encryption_service/keytab_keys.h"
#include "secure/outcome.h"

namespace bh::secure::encryption_service {

/// The longest password accepted (AD's limit is 256 UTF-16 characters).
inline constexpr size_t kMaxPasswordBytes = 1024;

struct IdentitySecrets {
  Bytes password;  ///< User: without a trailing newline
  std::vector<KeytabEntry> keytab;
  /// The identity's fingerprint when they were read (a changed identity reads them again).
  std::string fingerprint;

  IdentitySecrets() = default;
  IdentitySecrets(const IdentitySecrets&) = delete;
  IdentitySecrets& operator=(const IdentitySecrets&) = delete;
  ~IdentitySecrets();
};

using IdentitySecretsPtr = std::shared_ptr<const IdentitySecrets>;

/// Reads `identity`'s secrets: User, the password from $CREDENTIALS_DIRECTORY/<credential>
/// (`credentialsDirectory`) or from its password file, which must be a regular file no one but
/// its owner may read; Machine and Keytab, every entry of the keytab. Errors name the file and
/// the rule it breaks, never its content.
Outcome<IdentitySecretsPtr> loadIdentitySecrets(const Identity& identity,
                                                const std::string& credentialsDirectory);

/// An identity's secrets as the service holds them: loaded, or why not.
struct IdentityCredentials {
  IdentitySecretsPtr secrets;
  std::string error;  ///< "" when loaded
  /// True when they are the copy read earlier (the file could not be read again; the identity
  /// is unchanged).
  bool kept = false;
};

/// Loads every identity's secrets; one that cannot be read now keeps its earlier copy from
/// `previous` when its settings are unchanged (a reload after the privilege drop), else carries
/// the error.
std::map<std::string, IdentityCredentials> loadIdentityCredentials(
    const std::vector<Identity>& identities,
    const std::map<std::string, IdentityCredentials>& previous,
    const std::string& credentialsDirectory);

}  // namespace bh::secure::encryption_service
