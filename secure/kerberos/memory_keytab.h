#pragma once
// A client keytab held in memory only (issue 17, the `machine` identity): the keys were read from
// the box's keytab while the daemon was still root (/etc/krb5.keytab is root-only), and a
// retrieval after the privilege drop obtains its TGT from this copy instead of reopening the
// file. Nothing is written to a file.
//
// MIT krb5 1.20's MEMORY keytab (lib/krb5/keytab/kt_memory.c) is process-global by name and
// reference counted: krb5_kt_resolve("MEMORY:x") finds or creates "x", and the krb5_kt_close that
// drops the last reference frees its entries (krb5_kt_free_entry, which zeroes each key). 1.20
// has no krb5_kt_destroy. So each MemoryKeytab gets a random name nobody else can resolve, holds
// the only reference, and its destructor's close is the keytab's end.

#include <krb5.h>

#include <memory>
#include <span>
#include <string>

#include "secure/kerberos/gss_credential.h"

namespace bh::secure::kerberos {

class MemoryKeytab {
 public:
  /// A MEMORY keytab in `ctx` holding exactly `keys` (krb5_kt_add_entry each), or nullptr with
  /// krb5's error in `error` (a principal that does not parse, an out-of-memory).
  static std::unique_ptr<MemoryKeytab> fill(krb5_context ctx, std::span<const KeytabKey> keys,
                                            krb5_error_code& error);
  /// Closes the only reference: MIT frees and zeroes every entry. `ctx` must still be alive.
  ~MemoryKeytab();
  MemoryKeytab(const MemoryKeytab&) = delete;
  MemoryKeytab& operator=(const MemoryKeytab&) = delete;

  krb5_keytab handle() const { return keytab_; }
  /// "MEMORY:bh-<32 hex digits>", random per keytab.
  const std::string& name() const { return name_; }

 private:
  MemoryKeytab(krb5_context ctx, krb5_keytab kt, std::string name)
      : context_(ctx), keytab_(kt), name_(std::move(name)) {}
  krb5_context context_;
  krb5_keytab keytab_;
  std::string name_;
};

}  // namespace bh::secure::kerberos
