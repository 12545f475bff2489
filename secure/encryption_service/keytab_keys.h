#pragma once

// Keytabs: a Keytab identity's keys (for sites that will not grant replication rights, the
// operator exports a keytab for the Exchange server's account: `samba-tool domain exportkeytab
// --principal=...`, `ktpass` on Windows) and a Machine identity's own key. Read whole with MIT
// krb5 (krb5_kt_*) while the daemon is still root (identity_secrets.h), then looked up in memory.
// Nothing read here is ever logged: failures name the file and the principals it holds, never a
// key.

#include <string>
#include <vector>

#include "secure/encryption_service/retrieval_failure.h"
#include "secure/encryption_service/service_key.h"
#include "secure/outcome.h"

namespace bh::secure::encryption_service {

/// At most this many keytab entries are read (a keytab of one account has a handful).
inline constexpr size_t kMaxKeytabEntries = 1024;

struct KeytabEntry {
  std::string principal;  ///< as MIT unparses it: "exchangeMDB/exch1.example.com@EXAMPLE.COM"
  ServiceKey key;
};

/// Every entry of the keytab at `path` (at most kMaxKeytabEntries), or why not (the file and
/// krb5's message).
Outcome<std::vector<KeytabEntry>> readKeytab(const std::string& path);

struct KeytabRead {
  bool ok = false;
  SpnKeys keys;          ///< ok: every key of `spn@realm` (all kvnos, all etypes)
  RetrievalError error;  ///< !ok: NoKeyInKeytab, naming what the keytab holds
};

/// The keys of principal `spn`@`realm` among `entries` (compared without regard to case, as AD
/// does); `source` names the keytab in the result and the failure.
KeytabRead keysForSpn(const std::vector<KeytabEntry>& entries, const std::string& spn,
                      const std::string& realm, const std::string& source);

}  // namespace bh::secure::encryption_service
