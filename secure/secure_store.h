#pragma once

#include <sys/types.h>

#include <string>

#include "common/bytes.h"
#include "secure/outcome.h"
#include "secure/sealed_file.h"

namespace bh::secure {

/// The seed's "CMS secure store must be initialized and open": Uninitialized (no store in the
/// directory yet), Initialized (a store is there, its key not yet loaded), Open (key loaded and
/// it opens the store's key check), Locked (a store is there but cannot be used: reason()).
enum class SecureStoreState { Uninitialized, Initialized, Open, Locked };

std::string_view secureStoreStateName(SecureStoreState s);

/// A directory of sealed files (sealed_file.h), one per secret, e.g. "peering-key". The
/// directory must be mode 0700 and owned by the daemon's user; files are written 0600 through a
/// temporary file and rename, so a crash leaves the old or the new secret, never half of one.
class SecureStore {
 public:
  /// `owner` is the daemon's uid (geteuid() in production).
  SecureStore(std::string directory, uid_t owner);

  SecureStoreState state() const { return state_; }
  /// Why the store is Locked (or the last operation failed); never holds key or secret bytes.
  const std::string& reason() const { return reason_; }
  const std::string& directory() const { return directory_; }

  /// Creates the directory (0700) and its key check, sealed with `key`; the store is then Open.
  bool initialize(const StoreKey& key);
  /// Checks the directory's owner and mode and that `key` opens the key check.
  bool open(const StoreKey& key);

  /// Seals `secret` as entry `name` ([a-z0-9._-], 1..64 chars, not starting with '.').
  Outcome<bool> put(const std::string& name, ByteSpan secret);
  /// Opens entry `name`. A missing entry fails with "no entry <name>".
  Outcome<Bytes> get(const std::string& name) const;
  bool contains(const std::string& name) const;

 private:
  bool checkDirectory();
  void lock(std::string why);

  std::string directory_;
  uid_t owner_;
  StoreKey key_;
  SecureStoreState state_ = SecureStoreState::Uninitialized;
  std::string reason_;
};

/// True if `name` may name a store entry (no path separators, no hidden or parent names).
bool isValidEntryName(const std::string& name);

}  // namespace bh::secure
