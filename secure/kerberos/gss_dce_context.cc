#include "secure/kerberos/gss_dce_context.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <openssl/crypto.h>

#include "secure/kerberos/gss_credential_impl.h"
#include "secure/kerberos/gss_wrap_iov.h"

namespace bh::secure::kerberos {

namespace {

/// MS-KILE 3.4.5.1 / 3.2.5.2: DCE style with mutual authentication; packet privacy needs
/// confidentiality and integrity; MS-RPCE sealing runs with sequence and replay detection (Samba
/// and Windows ask for both).
/// At packet integrity confidentiality is not asked for (Samba's gensec_gssapi asks
/// GSS_C_CONF_FLAG only to seal).
constexpr OM_uint32 kWantedFlags = GSS_C_MUTUAL_FLAG | GSS_C_DCE_STYLE | GSS_C_CONF_FLAG |
                                   GSS_C_INTEG_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_REPLAY_FLAG;

/// Tokens and PDUs handed to GSS-API are bounded by the caller (a PDU is at most 64 KiB), so
/// their lengths always fit; this guards the conversion anyway.
constexpr size_t kMaxTokenLength = 64 * 1024;

gss_buffer_desc bufferOf(ByteSpan b) {
  gss_buffer_desc d;
  d.length = b.size();
  d.value = const_cast<uint8_t*>(b.data());
  return d;
}

}  // namespace

struct GssDceContext::Impl {
  gss_ctx_id_t context = GSS_C_NO_CONTEXT;
  gss_name_t target = GSS_C_NO_NAME;
  /// SPNEGO's credential over the same MEMORY cache: the krb5 credential imported with
  /// gss_krb5_import_cred holds the krb5 mechanism only, which SPNEGO cannot negotiate with.
  gss_cred_id_t spnegoCred = GSS_C_NO_CREDENTIAL;
  ~Impl() {
    OM_uint32 minor = 0;
    if (spnegoCred != GSS_C_NO_CREDENTIAL) {
      gss_release_cred(&minor, &spnegoCred);
    }
    if (context != GSS_C_NO_CONTEXT) {
      gss_delete_sec_context(&minor, &context, GSS_C_NO_BUFFER);
    }
    if (target != GSS_C_NO_NAME) {
      gss_release_name(&minor, &target);
    }
  }
};

GssDceContext::GssDceContext(const GssCredential& credential, std::string target,
                             GssDceOptions options)
    : credential_(credential),
      target_(std::move(target)),
      options_(options),
      impl_(std::make_unique<Impl>()) {
  if (target_.find('@') == std::string::npos && !credential_.realm().empty()) {
    target_ += "@" + credential_.realm();
  }
}

GssDceContext::~GssDceContext() = default;

Bytes GssDceContext::sessionKey() const {
  Bytes key;
  if (!established_ || impl_->context == GSS_C_NO_CONTEXT) {
    return key;
  }
  OM_uint32 minor = 0;
  gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
  OM_uint32 major =
      gss_inquire_sec_context_by_oid(&minor, impl_->context, GSS_C_INQ_SSPI_SESSION_KEY, &set);
  if (major == GSS_S_COMPLETE && set != GSS_C_NO_BUFFER_SET && set->count >= 1) {
    const auto* p = static_cast<const uint8_t*>(set->elements[0].value);
    key.assign(p, p + set->elements[0].length);
  }
  if (set != GSS_C_NO_BUFFER_SET) {
    // gss_release_buffer_set frees without wiping: wipe the copy GSS handed out first.
    for (size_t i = 0; i < set->count; ++i) {
      OPENSSL_cleanse(set->elements[i].value, set->elements[i].length);
    }
    gss_release_buffer_set(&minor, &set);
  }
  return key;
}

bool GssDceContext::step(ByteSpan input, Bytes& out, Expect expect) {
  if (impl_->target == GSS_C_NO_NAME) {
    gss_buffer_desc name =
        bufferOf(ByteSpan(reinterpret_cast<const uint8_t*>(target_.data()), target_.size()));
    OM_uint32 minor = 0;
    OM_uint32 major = gss_import_name(
        &minor, &name, const_cast<gss_OID>(GSS_KRB5_NT_PRINCIPAL_NAME), &impl_->target);
    if (GSS_ERROR(major)) {
      status_ = gssCallFailure("gss_import_name", major, minor);
      status_.text += " (target '" + target_ + "')";
      return false;
    }
  }
  if (input.size() > kMaxTokenLength) {
    status_ = GssStatus::fail(GssFailure::BadInput, "the server's token is too long");
    return false;
  }
  if (options_.spnego && impl_->spnegoCred == GSS_C_NO_CREDENTIAL) {
    // The credential's own cache named in a credential store (MIT's gss_acquire_cred_from):
    // MEMORY caches resolve within this process, so nothing else is read or written.
    char* cacheName = nullptr;
    krb5_error_code e =
        krb5_cc_get_full_name(credential_.impl().context, credential_.impl().ccache, &cacheName);
    if (e != 0) {
      status_ = GssStatus::fail(GssFailure::Other, "the credential's cache has no name");
      return false;
    }
    gss_key_value_element_desc element{"ccache", cacheName};
    gss_key_value_set_desc store{1, &element};
    gss_OID_set_desc mechs{1, spnegoMechanism()};
    OM_uint32 minor = 0;
    OM_uint32 major =
        gss_acquire_cred_from(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE,
                              &store, &impl_->spnegoCred, nullptr, nullptr);
    krb5_free_string(credential_.impl().context, cacheName);
    if (GSS_ERROR(major)) {
      status_ = gssCallFailure("gss_acquire_cred_from (SPNEGO)", major, minor);
      return false;
    }
  }
  gss_buffer_desc in = bufferOf(input);
  gss_buffer_desc token = GSS_C_EMPTY_BUFFER;
  OM_uint32 minor = 0;
  OM_uint32 flags = 0;
  // SPNEGO (RFC 4178) carries the krb5 mechanism's DCE-style tokens and passes the flags on.
  const gss_OID mech = options_.spnego ? spnegoMechanism() : const_cast<gss_OID>(gss_mech_krb5);
  const OM_uint32 wanted = options_.integrity ? kWantedFlags & ~GSS_C_CONF_FLAG : kWantedFlags;
  OM_uint32 major = gss_init_sec_context(
      &minor, options_.spnego ? impl_->spnegoCred : credential_.impl().cred, &impl_->context,
      impl_->target, mech, wanted, GSS_C_INDEFINITE, GSS_C_NO_CHANNEL_BINDINGS,
      input.empty() ? GSS_C_NO_BUFFER : &in, nullptr, &token, &flags, nullptr);
  if (GSS_ERROR(major)) {
    status_ = gssCallFailure("gss_init_sec_context", major, minor);
    status_.text += " (target '" + target_ + "')";
    gss_release_buffer(&minor, &token);
    return false;
  }
  out.assign(static_cast<const uint8_t*>(token.value),
             static_cast<const uint8_t*>(token.value) + token.length);
  gss_release_buffer(&minor, &token);
  bool complete = major == GSS_S_COMPLETE;
  if ((expect == Expect::Complete && !complete) || (expect == Expect::Continue && complete)) {
    status_ = GssStatus::fail(GssFailure::MutualAuthFailed,
                              complete ? "the context completed without the server's AP-REP"
                              : options_.spnego ? "the context wants more than the four SPNEGO legs"
                                                : "the context wants more than the three DCE legs");
    return false;
  }
  if (complete) {
    returnedFlags_ = flags;
    // Packet privacy is meaningless without these (RFC 2743 1.2.2): refuse a context without.
    OM_uint32 needed = GSS_C_INTEG_FLAG | GSS_C_MUTUAL_FLAG;
    if (!options_.integrity) {
      needed |= GSS_C_CONF_FLAG;
    }
    if ((flags & needed) != needed) {
      status_ = GssStatus::fail(GssFailure::MutualAuthFailed,
                                "the context lacks confidentiality, integrity or mutual "
                                "authentication (flags " +
                                    std::to_string(flags) + ")");
      return false;
    }
    established_ = true;
  }
  status_ = GssStatus::success();
  return true;
}

bool GssDceContext::initialToken(Bytes& out) {
  if (impl_->context != GSS_C_NO_CONTEXT) {
    status_ = GssStatus::fail(GssFailure::BadInput, "the AP-REQ was made already");
    return false;
  }
  return step({}, out, Expect::Continue);
}

bool GssDceContext::acceptReply(ByteSpan reply, Bytes& out) {
  if (impl_->context == GSS_C_NO_CONTEXT || established_) {
    status_ = GssStatus::fail(GssFailure::BadInput, "no AP-REQ awaits an AP-REP");
    return false;
  }
  if (reply.empty()) {
    status_ = GssStatus::fail(GssFailure::MutualAuthFailed, "the server sent no AP-REP");
    return false;
  }
  // SPNEGO may still wait for the server's mechListMIC once Kerberos is done (RFC 4178 5).
  return step(reply, out, options_.spnego ? Expect::Either : Expect::Complete);
}

bool GssDceContext::acceptFinal(ByteSpan token) {
  if (!options_.spnego || impl_->context == GSS_C_NO_CONTEXT) {
    status_ = GssStatus::fail(GssFailure::BadInput, "no fourth leg in a three-leg context");
    return false;
  }
  if (established_) {
    // Complete after the third leg (no mechListMIC asked): an accept-completed NegTokenResp
    // adds nothing a complete context could take (RFC 4178 4.2.2).
    status_ = GssStatus::success();
    return true;
  }
  if (token.empty()) {
    status_ = GssStatus::fail(GssFailure::MutualAuthFailed,
                              "the server sent no final NegTokenResp (mechListMIC)");
    return false;
  }
  Bytes none;
  if (!step(token, none, Expect::Complete)) {
    return false;
  }
  if (!none.empty()) {
    established_ = false;
    status_ = GssStatus::fail(GssFailure::MutualAuthFailed, "a fifth leg was asked for");
    return false;
  }
  return true;
}

size_t GssDceContext::sealedTokenSize() {
  if (!established_) {
    return 0;
  }
  if (options_.integrity) {
    return dceMicTokenSize(impl_->context, status_);
  }
  return dceWrapTokenSize(impl_->context, status_);
}

bool GssDceContext::seal(ByteSpan preSign, std::span<uint8_t> data, ByteSpan postSign,
                         std::span<uint8_t> token) {
  if (!established_) {
    status_ = GssStatus::fail(GssFailure::BadInput, "seal before the context is established");
    return false;
  }
  if (options_.integrity) {
    return dceSign(impl_->context, preSign, ByteSpan(data.data(), data.size()), postSign, token,
                   status_);
  }
  return dceWrap(impl_->context, preSign, data, postSign, token, status_);
}

bool GssDceContext::unseal(ByteSpan preSign, std::span<uint8_t> data, ByteSpan postSign,
                           ByteSpan token) {
  if (!established_) {
    status_ = GssStatus::fail(GssFailure::BadInput, "unseal before the context is established");
    return false;
  }
  if (options_.integrity) {
    return dceVerify(impl_->context, preSign, ByteSpan(data.data(), data.size()), postSign, token,
                     status_);
  }
  return dceUnwrap(impl_->context, preSign, data, postSign, token, status_);
}

}  // namespace bh::secure::kerberos
