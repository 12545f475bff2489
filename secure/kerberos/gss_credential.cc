#include "secure/kerberos/gss_credential.h"

#include <gssapi/gssapi_krb5.h>

#include "secure/kerberos/gss_credential_impl.h"
#include "secure/kerberos/memory_keytab.h"

namespace bh::secure::kerberos {

namespace {

std::string krbMessage(krb5_context ctx, krb5_error_code e) {
  const char* m = krb5_get_error_message(ctx, e);
  std::string s = m != nullptr ? m : "unknown Kerberos error";
  krb5_free_error_message(ctx, m);
  return s;
}

GssStatus krbFailure(krb5_context ctx, krb5_error_code e, const std::string& what) {
  GssStatus s;
  s.failure = classifyKrb5Error(e);
  s.minor = e;
  // MIT's messages name principals and realms, never the password or key.
  s.text = what + ": " + krbMessage(ctx, e);
  return s;
}

std::string principalName(krb5_context ctx, krb5_const_principal p) {
  char* name = nullptr;
  if (krb5_unparse_name(ctx, p, &name) != 0) {
    return "";
  }
  std::string s = name;
  krb5_free_unparsed_name(ctx, name);
  return s;
}

/// The steps both kinds of credential share: a context, the client principal, a fresh MEMORY
/// cache; `getCreds` asks the KDC for the TGT; the cache then goes to GSS-API.
template <class GetCreds>
std::unique_ptr<GssCredential::Impl> acquire(const std::string& principal, GetCreds getCreds,
                                             GssStatus& status, std::string& client) {
  auto impl = std::make_unique<GssCredential::Impl>();
  if (krb5_error_code e = krb5_init_context(&impl->context); e != 0) {
    impl->context = nullptr;
    status = GssStatus::fail(GssFailure::Other,
                             "krb5_init_context failed (error " + std::to_string(e) + ")");
    status.minor = e;
    return nullptr;
  }
  krb5_context ctx = impl->context;
  krb5_principal me = nullptr;
  if (krb5_error_code e = krb5_parse_name(ctx, principal.c_str(), &me); e != 0) {
    status = krbFailure(ctx, e, "principal '" + principal + "'");
    status.failure = GssFailure::BadInput;
    return nullptr;
  }
  krb5_creds creds{};
  krb5_error_code e = getCreds(ctx, me, creds);
  if (e != 0) {
    status = krbFailure(ctx, e, "initial credentials for " + principal);
    krb5_free_principal(ctx, me);
    return nullptr;
  }
  client = principalName(ctx, creds.client);
  // A MEMORY cache of our own: never a file, never the default cache other code may share.
  e = krb5_cc_new_unique(ctx, "MEMORY", nullptr, &impl->ccache);
  if (e == 0) {
    e = krb5_cc_initialize(ctx, impl->ccache, creds.client);
  }
  if (e == 0) {
    e = krb5_cc_store_cred(ctx, impl->ccache, &creds);
  }
  krb5_free_cred_contents(ctx, &creds);
  krb5_free_principal(ctx, me);
  if (e != 0) {
    status = krbFailure(ctx, e, "MEMORY credential cache");
    return nullptr;
  }
  OM_uint32 minor = 0;
  OM_uint32 major = gss_krb5_import_cred(&minor, impl->ccache, nullptr, nullptr, &impl->cred);
  if (GSS_ERROR(major)) {
    status.failure = classifyGssStatus(major, static_cast<int32_t>(minor));
    status.major = major;
    status.minor = static_cast<int32_t>(minor);
    status.text = "gss_krb5_import_cred: " + krbMessage(ctx, static_cast<krb5_error_code>(minor));
    return nullptr;
  }
  status = GssStatus::success();
  return impl;
}

/// The TGT with the key for `me` from `kt`; the key is looked up first, so a keytab without it
/// is named KeytabNoKey before any KDC is asked (MIT would ask the KDC for the enctypes first,
/// so a missing key would look like whatever that exchange gives).
krb5_error_code initCredsWithKeytab(krb5_context ctx, krb5_principal me, krb5_keytab kt,
                                    krb5_creds& creds) {
  krb5_keytab_entry entry{};
  krb5_error_code e = krb5_kt_get_entry(ctx, kt, me, 0, 0, &entry);
  if (e != 0) {
    return e;
  }
  krb5_free_keytab_entry_contents(ctx, &entry);
  return krb5_get_init_creds_keytab(ctx, &creds, me, kt, 0, nullptr, nullptr);
}

std::string realmOf(const std::string& principal) {
  size_t at = principal.rfind('@');
  return at == std::string::npos ? "" : principal.substr(at + 1);
}

}  // namespace

GssCredential::Impl::~Impl() {
  OM_uint32 minor = 0;
  if (cred != GSS_C_NO_CREDENTIAL) {
    gss_release_cred(&minor, &cred);
  }
  if (ccache != nullptr) {
    krb5_cc_destroy(context, ccache);  // the tickets go with it
  }
  if (context != nullptr) {
    krb5_free_context(context);
  }
}

GssCredential::GssCredential(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GssCredential::~GssCredential() = default;

std::unique_ptr<GssCredential> GssCredential::withPassword(const std::string& principal,
                                                           const std::string& password,
                                                           GssStatus& status) {
  std::string client;
  auto impl = acquire(
      principal,
      [&password](krb5_context ctx, krb5_principal me, krb5_creds& creds) {
        return krb5_get_init_creds_password(ctx, &creds, me, password.c_str(), nullptr, nullptr, 0,
                                            nullptr, nullptr);
      },
      status, client);
  if (!impl) {
    return nullptr;
  }
  std::unique_ptr<GssCredential> c(new GssCredential(std::move(impl)));
  c->principal_ = client;
  c->realm_ = realmOf(client);
  return c;
}

std::unique_ptr<GssCredential> GssCredential::withKeytab(const std::string& principal,
                                                         const std::string& keytabPath,
                                                         GssStatus& status) {
  std::string client;
  auto impl = acquire(
      principal,
      [&keytabPath](krb5_context ctx, krb5_principal me, krb5_creds& creds) {
        krb5_keytab kt = nullptr;
        std::string name = "FILE:" + keytabPath;
        krb5_error_code e = krb5_kt_resolve(ctx, name.c_str(), &kt);
        if (e != 0) {
          return e;
        }
        e = initCredsWithKeytab(ctx, me, kt, creds);
        krb5_kt_close(ctx, kt);
        return e;
      },
      status, client);
  if (!impl) {
    return nullptr;
  }
  std::unique_ptr<GssCredential> c(new GssCredential(std::move(impl)));
  c->principal_ = client;
  c->realm_ = realmOf(client);
  return c;
}

std::unique_ptr<GssCredential> GssCredential::withKeytabKeys(const std::string& principal,
                                                             std::span<const KeytabKey> keys,
                                                             GssStatus& status) {
  std::string client;
  auto impl = acquire(
      principal,
      [keys](krb5_context ctx, krb5_principal me, krb5_creds& creds) {
        krb5_error_code e = 0;
        auto kt = MemoryKeytab::fill(ctx, keys, e);
        if (!kt) {
          return e;
        }
        // The keytab ends here, with the TGT in the MEMORY cache: GSS-API needs only the cache,
        // so the keys live in MIT's copy for one AS exchange.
        return initCredsWithKeytab(ctx, me, kt->handle(), creds);
      },
      status, client);
  if (!impl) {
    return nullptr;
  }
  std::unique_ptr<GssCredential> c(new GssCredential(std::move(impl)));
  c->principal_ = client;
  c->realm_ = realmOf(client);
  return c;
}

}  // namespace bh::secure::kerberos
