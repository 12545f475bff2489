#pragma once

// A Keytab identity's keys: for sites that will not grant replication rights, the operator
// exports a keytab for the Exchange server's account (`samba-tool domain exportkeytab
// --principal=...`, `ktpass` on Windows) and the service reads the SPN's keys from it instead of
// asking the directory. Read with MIT krb5 (krb5_kt_*); a file, no network. Nothing read here is
// ever logged: failures name the file and the principals it holds, never a key.

#include <string>

#include "secure/encryption_service/retrieval_failure.h"
#include "secure/encryption_service/service_key.h"

namespace bh::secure::encryption_service {

/// At most this many keytab entries are looked at (a keytab of one account has a handful).
inline constexpr size_t kMaxKeytabEntries = 1024;

struct KeytabRead {
  bool ok = false;
  SpnKeys keys;          ///< ok: every key of `spn@realm` in the keytab (all kvnos, all etypes)
  RetrievalError error;  ///< !ok: CredentialUnreadable (the file) or NoKeyInKeytab
};

/// The keys of principal `spn`@`realm` (compared without regard to case, as AD does) in the
/// keytab at `path`. The account is the name of the first entry found for it.
KeytabRead readKeytabKeys(const std::string& path, const std::string& spn,
                          const std::string& realm);

}  // namespace bh::secure::encryption_service
