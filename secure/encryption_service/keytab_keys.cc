#include "secure/encryption_service/keytab_keys.h"

#include <krb5.h>

#include <memory>
#include <set>

#include "secure/encryption_service/identity.h"

namespace bh::secure::encryption_service {

namespace {

struct ContextFree {
  void operator()(krb5_context c) const { krb5_free_context(c); }
};
using Context = std::unique_ptr<std::remove_pointer_t<krb5_context>, ContextFree>;

std::string krbMessage(krb5_context ctx, krb5_error_code code) {
  const char* m = krb5_get_error_message(ctx, code);
  std::string s = m != nullptr ? m : ("error " + std::to_string(code));
  krb5_free_error_message(ctx, m);
  return s;
}

std::string unparsed(krb5_context ctx, krb5_const_principal p) {
  char* name = nullptr;
  if (krb5_unparse_name(ctx, p, &name) != 0 || name == nullptr) {
    return "?";
  }
  std::string s = name;
  krb5_free_unparsed_name(ctx, name);
  return s;
}

void wipeAll(std::vector<KeytabEntry>& entries) {
  for (auto& e : entries) {
    wipe(e.key.value);
  }
}

}  // namespace

Outcome<std::vector<KeytabEntry>> readKeytab(const std::string& path) {
  using Result = Outcome<std::vector<KeytabEntry>>;
  krb5_context raw = nullptr;
  if (krb5_init_context(&raw) != 0) {
    return Result::failure("krb5_init_context failed");
  }
  Context ctx(raw);
  krb5_keytab kt = nullptr;
  std::string name = "FILE:" + path;
  if (krb5_error_code e = krb5_kt_resolve(ctx.get(), name.c_str(), &kt); e != 0) {
    return Result::failure("keytab " + path + ": " + krbMessage(ctx.get(), e));
  }
  krb5_kt_cursor cursor = nullptr;
  if (krb5_error_code e = krb5_kt_start_seq_get(ctx.get(), kt, &cursor); e != 0) {
    krb5_kt_close(ctx.get(), kt);
    return Result::failure("keytab " + path + ": " + krbMessage(ctx.get(), e));
  }
  std::vector<KeytabEntry> out;
  krb5_keytab_entry entry;
  krb5_error_code e = 0;
  while ((e = krb5_kt_next_entry(ctx.get(), kt, &entry, &cursor)) == 0) {
    KeytabEntry k;
    k.principal = unparsed(ctx.get(), entry.principal);
    k.key.etype = entry.key.enctype;
    k.key.kvno = entry.vno;
    k.key.value.assign(entry.key.contents, entry.key.contents + entry.key.length);
    krb5_free_keytab_entry_contents(ctx.get(), &entry);
    out.push_back(std::move(k));
    if (out.size() >= kMaxKeytabEntries) {
      break;
    }
  }
  krb5_kt_end_seq_get(ctx.get(), kt, &cursor);
  krb5_kt_close(ctx.get(), kt);
  if (e != 0 && e != KRB5_KT_END) {
    wipeAll(out);
    return Result::failure("keytab " + path + ": " + krbMessage(ctx.get(), e));
  }
  return Result::success(std::move(out));
}

KeytabRead keysForSpn(const std::vector<KeytabEntry>& entries, const std::string& spn,
                      const std::string& realm, const std::string& source) {
  std::string want = canonicalName(spn) + "@" + canonicalName(realm);
  KeytabRead out;
  std::set<std::string> others;
  for (const auto& e : entries) {
    if (canonicalName(e.principal) != want) {
      if (others.size() < 8) {
        others.insert(e.principal);
      }
      continue;
    }
    // Two copies of one key (the same kvno and etype) are kept once.
    if (out.keys.find(e.key.etype, e.key.kvno) == nullptr) {
      out.keys.keys.push_back(e.key);
    }
    if (out.keys.account.empty()) {
      out.keys.account = e.principal;
    }
  }
  if (out.keys.keys.empty()) {
    std::string held;
    for (const auto& o : others) {
      held += (held.empty() ? "" : ", ") + o;
    }
    out.error.kind = RetrievalFailure::NoKeyInKeytab;
    out.error.detail = source + " has no key for " + spn + "@" + realm +
                       (held.empty() ? " (it holds no entry)" : " (it holds " + held + ")");
    return out;
  }
  out.keys.spn = spn;
  out.keys.source = source;
  out.ok = true;
  return out;
}

}  // namespace bh::secure::encryption_service
