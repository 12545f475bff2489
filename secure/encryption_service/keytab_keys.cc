#include "secure/encryption_service/keytab_keys.h"

#include <krb5.h>

#include <functional>
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

KeytabRead fail(RetrievalFailure kind, std::string detail) {
  KeytabRead r;
  r.error.kind = kind;
  r.error.detail = std::move(detail);
  return r;
}

}  // namespace

KeytabRead readKeytabKeys(const std::string& path, const std::string& spn,
                          const std::string& realm) {
  krb5_context raw = nullptr;
  if (krb5_init_context(&raw) != 0) {
    return fail(RetrievalFailure::CredentialUnreadable, "krb5_init_context failed");
  }
  Context ctx(raw);
  krb5_keytab kt = nullptr;
  std::string name = "FILE:" + path;
  if (krb5_error_code e = krb5_kt_resolve(ctx.get(), name.c_str(), &kt); e != 0) {
    return fail(RetrievalFailure::CredentialUnreadable,
                "keytab " + path + ": " + krbMessage(ctx.get(), e));
  }
  std::unique_ptr<std::remove_pointer_t<krb5_keytab>, std::function<void(krb5_keytab)>> ktGuard(
      kt, [&](krb5_keytab k) { krb5_kt_close(ctx.get(), k); });
  krb5_kt_cursor cursor = nullptr;
  if (krb5_error_code e = krb5_kt_start_seq_get(ctx.get(), kt, &cursor); e != 0) {
    return fail(RetrievalFailure::CredentialUnreadable,
                "keytab " + path + ": " + krbMessage(ctx.get(), e));
  }
  std::string want = canonicalName(spn) + "@" + canonicalName(realm);
  KeytabRead out;
  std::set<std::string> others;
  size_t seen = 0;
  krb5_keytab_entry entry;
  krb5_error_code e = 0;
  while ((e = krb5_kt_next_entry(ctx.get(), kt, &entry, &cursor)) == 0) {
    std::string principal = unparsed(ctx.get(), entry.principal);
    if (canonicalName(principal) == want) {
      ServiceKey k;
      k.etype = entry.key.enctype;
      k.kvno = entry.vno;
      k.value.assign(entry.key.contents, entry.key.contents + entry.key.length);
      // Dropped copies of one key (the same kvno and etype twice) are kept once.
      if (out.keys.find(k.etype, k.kvno) == nullptr) {
        out.keys.keys.push_back(std::move(k));
      } else {
        wipe(k.value);
      }
      if (out.keys.account.empty()) {
        out.keys.account = principal;
      }
    } else if (others.size() < 8) {
      others.insert(principal);
    }
    krb5_free_keytab_entry_contents(ctx.get(), &entry);
    if (++seen >= kMaxKeytabEntries) {
      break;
    }
  }
  krb5_kt_end_seq_get(ctx.get(), kt, &cursor);
  if (e != 0 && e != KRB5_KT_END) {
    for (auto& k : out.keys.keys) {
      wipe(k.value);
    }
    return fail(RetrievalFailure::CredentialUnreadable,
                "keytab " + path + ": " + krbMessage(ctx.get(), e));
  }
  if (out.keys.keys.empty()) {
    std::string held;
    for (const auto& o : others) {
      held += (held.empty() ? "" : ", ") + o;
    }
    return fail(RetrievalFailure::NoKeyInKeytab,
                "keytab " + path + " has no key for " + spn + "@" + realm +
                    (held.empty() ? " (it holds no entry)" : " (it holds " + held + ")"));
  }
  out.keys.spn = spn;
  out.keys.source = "keytab " + path;
  out.ok = true;
  return out;
}

}  // namespace bh::secure::encryption_service
