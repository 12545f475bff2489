#pragma once
// GssCredential's MIT handles, shared by gss_credential.cc and gss_dce_context.cc only.

#include <gssapi/gssapi.h>
#include <krb5.h>

#include "secure/kerberos/gss_credential.h"

namespace bh::secure::kerberos {

struct GssCredential::Impl {
  krb5_context context = nullptr;
  krb5_ccache ccache = nullptr;  ///< a MEMORY cache of this credential's own
  gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
  ~Impl();
};

}  // namespace bh::secure::kerberos
