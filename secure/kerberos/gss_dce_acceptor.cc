#include "secure/kerberos/gss_dce_acceptor.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>

#include "secure/kerberos/gss_wrap_iov.h"

namespace bh::secure::kerberos {

namespace {

/// Tokens come from one PDU (at most 64 KiB).
constexpr size_t kMaxTokenLength = 64 * 1024;

}  // namespace

struct GssDceAcceptor::Impl {
  gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
  gss_ctx_id_t context = GSS_C_NO_CONTEXT;
  ~Impl() {
    OM_uint32 minor = 0;
    if (context != GSS_C_NO_CONTEXT) {
      gss_delete_sec_context(&minor, &context, GSS_C_NO_BUFFER);
    }
    if (cred != GSS_C_NO_CREDENTIAL) {
      gss_release_cred(&minor, &cred);
    }
  }
};

GssDceAcceptor::GssDceAcceptor(std::string keytabPath, bool spnego)
    : keytabPath_(std::move(keytabPath)), spnego_(spnego), impl_(std::make_unique<Impl>()) {}

bool GssDceAcceptor::setAuthLevel(mapi::dcerpc::AuthLevel level) {
  if (impl_->context != GSS_C_NO_CONTEXT) {
    return false;  // the level is the bind's, fixed for the association
  }
  integrity_ = level == mapi::dcerpc::AuthLevel::PktIntegrity;
  return integrity_ || level == mapi::dcerpc::AuthLevel::PktPrivacy;
}

GssDceAcceptor::~GssDceAcceptor() = default;

bool GssDceAcceptor::step(ByteSpan input, Bytes& out, bool expectComplete) {
  if (input.empty() || input.size() > kMaxTokenLength) {
    status_ = GssStatus::fail(GssFailure::BadInput, "the client's token is empty or too long");
    return false;
  }
  if (impl_->cred == GSS_C_NO_CREDENTIAL) {
    // The keytab named here for this credential only (gss_acquire_cred_from, RFC 7546-era MIT
    // credential store), not the process-wide KRB5_KTNAME.
    gss_key_value_element_desc element{"keytab", keytabPath_.c_str()};
    gss_key_value_set_desc store{1, &element};
    gss_OID_set_desc mechs{1, spnego_ ? spnegoMechanism() : const_cast<gss_OID>(gss_mech_krb5)};
    OM_uint32 minor = 0;
    OM_uint32 major = gss_acquire_cred_from(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs,
                                            GSS_C_ACCEPT, &store, &impl_->cred, nullptr, nullptr);
    if (GSS_ERROR(major)) {
      status_ = gssCallFailure("gss_acquire_cred_from", major, minor);
      status_.text += " (keytab '" + keytabPath_ + "')";
      return false;
    }
  }
  gss_buffer_desc in{input.size(), const_cast<uint8_t*>(input.data())};
  gss_buffer_desc token = GSS_C_EMPTY_BUFFER;
  gss_name_t source = GSS_C_NO_NAME;
  OM_uint32 minor = 0;
  OM_uint32 flags = 0;
  OM_uint32 major =
      gss_accept_sec_context(&minor, &impl_->context, impl_->cred, &in, GSS_C_NO_CHANNEL_BINDINGS,
                             &source, nullptr, &token, &flags, nullptr, nullptr);
  if (GSS_ERROR(major)) {
    status_ = gssCallFailure("gss_accept_sec_context", major, minor);
    gss_release_buffer(&minor, &token);
    return false;
  }
  out.assign(static_cast<const uint8_t*>(token.value),
             static_cast<const uint8_t*>(token.value) + token.length);
  gss_release_buffer(&minor, &token);
  if (source != GSS_C_NO_NAME) {
    gss_buffer_desc name = GSS_C_EMPTY_BUFFER;
    if (!GSS_ERROR(gss_display_name(&minor, source, &name, nullptr))) {
      initiator_.assign(static_cast<const char*>(name.value), name.length);
    }
    gss_release_buffer(&minor, &name);
    gss_release_name(&minor, &source);
  }
  const bool complete = major == GSS_S_COMPLETE;
  if (complete != expectComplete) {
    // MS-KILE 3.4.5.1: a DCE-style AP-REQ (checksum flag GSS_C_DCE_STYLE) leaves the context
    // open for the client's AP-REP; a plain one completes at once and is not what RPC sends.
    status_ = GssStatus::fail(GssFailure::MutualAuthFailed,
                              complete  ? "the AP-REQ is not DCE style (no third leg)"
                              : spnego_ ? "the context wants more than the four SPNEGO legs"
                                        : "the context wants more than the three DCE legs");
    return false;
  }
  if (complete) {
    returnedFlags_ = flags;
    // Confidentiality only to seal (packet privacy); a client binding at integrity need not
    // ask for it (Samba's does not).
    const OM_uint32 needed =
        GSS_C_INTEG_FLAG | GSS_C_DCE_STYLE | (integrity_ ? 0u : OM_uint32{GSS_C_CONF_FLAG});
    if ((flags & needed) != needed) {
      status_ = GssStatus::fail(GssFailure::MutualAuthFailed,
                                "the context lacks confidentiality, integrity or DCE style "
                                "(flags " +
                                    std::to_string(flags) + ")");
      return false;
    }
    established_ = true;
  }
  status_ = GssStatus::success();
  return true;
}

bool GssDceAcceptor::acceptInitial(ByteSpan apReq, Bytes& apRep) {
  if (impl_->context != GSS_C_NO_CONTEXT) {
    status_ = GssStatus::fail(GssFailure::BadInput, "an AP-REQ was accepted already");
    return false;
  }
  return step(apReq, apRep, false);
}

bool GssDceAcceptor::acceptFinal(ByteSpan clientApRep) {
  if (impl_->context == GSS_C_NO_CONTEXT || established_) {
    status_ = GssStatus::fail(GssFailure::BadInput, "no AP-REP of ours awaits the client's");
    return false;
  }
  Bytes none;
  if (!step(clientApRep, none, true)) {
    return false;
  }
  if (spnego_) {
    // RFC 4178 5: SPNEGO answers the client's last NegTokenResp with accept-completed and its
    // own mechListMIC when one is required: the alter_context_resp's auth_value.
    finalToken_ = std::move(none);
    return true;
  }
  if (!none.empty()) {
    status_ = GssStatus::fail(GssFailure::MutualAuthFailed, "a fourth leg was asked for");
    established_ = false;
    return false;
  }
  return true;
}

size_t GssDceAcceptor::sealedTokenSize() {
  if (!established_) {
    return 0;
  }
  return integrity_ ? dceMicTokenSize(impl_->context, status_)
                    : dceWrapTokenSize(impl_->context, status_);
}

bool GssDceAcceptor::seal(ByteSpan preSign, std::span<uint8_t> data, ByteSpan postSign,
                          std::span<uint8_t> token) {
  if (!established_) {
    status_ = GssStatus::fail(GssFailure::BadInput, "seal before the context is established");
    return false;
  }
  if (integrity_) {
    return dceSign(impl_->context, preSign, ByteSpan(data.data(), data.size()), postSign, token,
                   status_);
  }
  return dceWrap(impl_->context, preSign, data, postSign, token, status_);
}

bool GssDceAcceptor::unseal(ByteSpan preSign, std::span<uint8_t> data, ByteSpan postSign,
                            ByteSpan token) {
  if (!established_) {
    status_ = GssStatus::fail(GssFailure::BadInput, "unseal before the context is established");
    return false;
  }
  if (integrity_) {
    return dceVerify(impl_->context, preSign, ByteSpan(data.data(), data.size()), postSign, token,
                     status_);
  }
  return dceUnwrap(impl_->context, preSign, data, postSign, token, status_);
}

}  // namespace bh::secure::kerberos
