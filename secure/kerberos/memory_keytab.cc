#include "secure/kerberos/memory_keytab.h"

#include <openssl/rand.h>

namespace bh::secure::kerberos {

namespace {

/// A name no other code in the process could resolve by chance or by guess: two keytabs of one
/// name would share their entries (kt_memory.c finds an existing one by name).
bool uniqueName(std::string& out) {
  uint8_t r[16];
  if (RAND_bytes(r, sizeof(r)) != 1) {
    return false;
  }
  static const char kHex[] = "0123456789abcdef";
  out = "MEMORY:bh-";
  for (uint8_t b : r) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return true;
}

}  // namespace

std::unique_ptr<MemoryKeytab> MemoryKeytab::fill(krb5_context ctx, std::span<const KeytabKey> keys,
                                                 krb5_error_code& error) {
  std::string name;
  if (!uniqueName(name)) {
    error = KRB5_CRYPTO_INTERNAL;
    return nullptr;
  }
  krb5_keytab kt = nullptr;
  if (error = krb5_kt_resolve(ctx, name.c_str(), &kt); error != 0) {
    return nullptr;
  }
  std::unique_ptr<MemoryKeytab> out(new MemoryKeytab(ctx, kt, std::move(name)));
  for (const auto& k : keys) {
    std::string principal(k.principal);
    krb5_keytab_entry entry{};
    if (error = krb5_parse_name(ctx, principal.c_str(), &entry.principal); error != 0) {
      return nullptr;  // the destructor frees what was added
    }
    entry.vno = k.kvno;
    entry.key.magic = KV5M_KEYBLOCK;
    entry.key.enctype = k.enctype;
    entry.key.length = static_cast<unsigned int>(k.key.size());
    // krb5_kt_add_entry copies the key (krb5_copy_keyblock_contents); ours stays the caller's.
    entry.key.contents = const_cast<krb5_octet*>(k.key.data());
    error = krb5_kt_add_entry(ctx, kt, &entry);
    krb5_free_principal(ctx, entry.principal);
    if (error != 0) {
      return nullptr;
    }
  }
  error = 0;
  return out;
}

MemoryKeytab::~MemoryKeytab() {
  krb5_kt_close(context_, keytab_);  // the last reference: MIT frees and zeroes the entries
}

}  // namespace bh::secure::kerberos
