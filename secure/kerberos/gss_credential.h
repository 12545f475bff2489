#pragma once
// The encryption service identity's Kerberos credential (issue 17): a TGT obtained with the
// identity's password or its client keytab, held in a MEMORY credential cache of its own (never
// a file, never the process's default cache) and handed to GSS-API (gss_krb5_import_cred), so
// the identity's tickets live and die with this object.
//
// Blocking: obtaining the TGT talks to the realm's KDC (found through the krb5 profile,
// KRB5_CONFIG) with MIT krb5's own sockets, and so does the first security context for a new
// target (its service ticket). Call from a worker thread, never from the data path's loop.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "secure/kerberos/gss_status.h"

namespace bh::secure::kerberos {

/// One key of a client keytab: views into the caller's copy (identity_secrets.h), read with
/// MIT's krb5_kt_* while root.
struct KeytabKey {
  std::string_view principal;  ///< "CORE1$@EXAMPLE.COM"
  int32_t enctype = 0;         ///< RFC 3961 etype number
  uint32_t kvno = 0;
  std::span<const uint8_t> key;
};

class GssCredential {
 public:
  /// A TGT for `principal` ("bhrepl@BHLAB.TEST") with `password` (krb5_get_init_creds_password).
  /// The password is used for this call only and kept nowhere.
  /// @return the credential, or the named failure in `status` (WrongPassword, ClientUnknown,
  /// ClockSkew, KdcUnreachable, RealmUnknown, PasswordExpired, ClientRevoked, ...).
  static std::unique_ptr<GssCredential> withPassword(const std::string& principal,
                                                     const std::string& password,
                                                     GssStatus& status);
  /// A TGT for `principal` with its key from the client keytab at `keytabPath`
  /// (krb5_get_init_creds_keytab); KeytabNoKey when the keytab has no key for it.
  static std::unique_ptr<GssCredential> withKeytab(const std::string& principal,
                                                   const std::string& keytabPath,
                                                   GssStatus& status);
  /// The same with the client keytab's keys already in memory (a `machine` identity's keytab,
  /// read at start while root): they go into a MEMORY keytab of a random name for the AS
  /// exchange only (memory_keytab.h), never into a file; KeytabNoKey when none is for
  /// `principal`.
  static std::unique_ptr<GssCredential> withKeytabKeys(const std::string& principal,
                                                       std::span<const KeytabKey> keys,
                                                       GssStatus& status);
  ~GssCredential();
  GssCredential(const GssCredential&) = delete;
  GssCredential& operator=(const GssCredential&) = delete;

  /// The client principal as the KDC named it ("bhrepl@BHLAB.TEST").
  const std::string& principal() const { return principal_; }
  /// Its realm ("BHLAB.TEST").
  const std::string& realm() const { return realm_; }

  struct Impl;
  /// For the security contexts made with this credential (gss_dce_context.cc).
  Impl& impl() const { return *impl_; }

 private:
  explicit GssCredential(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string principal_;
  std::string realm_;
};

}  // namespace bh::secure::kerberos
