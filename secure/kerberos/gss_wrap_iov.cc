#include "secure/kerberos/gss_wrap_iov.h"

#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <string>

namespace bh::secure::kerberos {

namespace {

std::string displayStatus(OM_uint32 code, int type) {
  std::string out;
  OM_uint32 context = 0;
  do {
    OM_uint32 minor = 0;
    gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
    OM_uint32 major =
        gss_display_status(&minor, code, type, const_cast<gss_OID>(gss_mech_krb5), &context, &text);
    if (GSS_ERROR(major)) {
      break;
    }
    if (!out.empty()) {
      out += "; ";
    }
    out.append(static_cast<const char*>(text.value), text.length);
    gss_release_buffer(&minor, &text);
  } while (context != 0);
  return out;
}

gss_iov_buffer_desc iov(OM_uint32 type, ByteSpan b) {
  gss_iov_buffer_desc d;
  // An empty SIGN_ONLY (no header signing) is left out as EMPTY.
  d.type = b.empty() && type == GSS_IOV_BUFFER_TYPE_SIGN_ONLY ? GSS_IOV_BUFFER_TYPE_EMPTY : type;
  d.buffer.length = b.size();
  d.buffer.value = const_cast<uint8_t*>(b.data());
  return d;
}

/// The MIC covers the three spans as one message: they are adjacent in the PDU, but the
/// caller hands them apart (the stub may be a copy).
Bytes joined(ByteSpan a, ByteSpan b, ByteSpan c) {
  Bytes out;
  out.reserve(a.size() + b.size() + c.size());
  out.insert(out.end(), a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  out.insert(out.end(), c.begin(), c.end());
  return out;
}

}  // namespace

gss_OID spnegoMechanism() {
  static gss_OID_desc oid{6, const_cast<char*>("\x2b\x06\x01\x05\x05\x02")};
  return &oid;
}

GssStatus gssCallFailure(const char* call, OM_uint32 major, OM_uint32 minor) {
  GssStatus s;
  s.major = major;
  s.minor = static_cast<int32_t>(minor);
  s.failure = classifyGssStatus(major, s.minor);
  if (s.failure == GssFailure::None) {
    s.failure = GssFailure::Other;
  }
  std::string m = displayStatus(major, GSS_C_GSS_CODE);
  if (minor != 0) {
    m += " (" + displayStatus(minor, GSS_C_MECH_CODE) + ")";
  }
  s.text = std::string(call) + ": " + m;
  return s;
}

size_t dceWrapTokenSize(gss_ctx_id_t context, GssStatus& status) {
  // In DCE style the HEADER buffer holds the whole token (Samba's gssapi_get_sig_size).
  gss_iov_buffer_desc v[2];
  v[0].type = GSS_IOV_BUFFER_TYPE_HEADER;
  v[0].buffer = GSS_C_EMPTY_BUFFER;
  v[1].type = GSS_IOV_BUFFER_TYPE_DATA;
  v[1].buffer.length = 16;
  v[1].buffer.value = nullptr;
  OM_uint32 minor = 0;
  int conf = 0;
  OM_uint32 major = gss_wrap_iov_length(&minor, context, 1, GSS_C_QOP_DEFAULT, &conf, v, 2);
  if (GSS_ERROR(major)) {
    status = gssCallFailure("gss_wrap_iov_length", major, minor);
    return 0;
  }
  return v[0].buffer.length;
}

bool dceWrap(gss_ctx_id_t context, ByteSpan preSign, std::span<uint8_t> data, ByteSpan postSign,
             std::span<uint8_t> token, GssStatus& status) {
  gss_iov_buffer_desc v[4] = {
      iov(GSS_IOV_BUFFER_TYPE_HEADER, ByteSpan(token.data(), token.size())),
      iov(GSS_IOV_BUFFER_TYPE_SIGN_ONLY, preSign),
      iov(GSS_IOV_BUFFER_TYPE_DATA, ByteSpan(data.data(), data.size())),
      iov(GSS_IOV_BUFFER_TYPE_SIGN_ONLY, postSign),
  };
  OM_uint32 minor = 0;
  int conf = 0;
  OM_uint32 major = gss_wrap_iov(&minor, context, 1, GSS_C_QOP_DEFAULT, &conf, v, 4);
  if (GSS_ERROR(major)) {
    status = gssCallFailure("gss_wrap_iov", major, minor);
    return false;
  }
  if (conf == 0 || v[0].buffer.length != token.size()) {
    status = GssStatus::fail(GssFailure::Other, "gss_wrap_iov did not seal into the token");
    return false;
  }
  status = GssStatus::success();
  return true;
}

bool dceUnwrap(gss_ctx_id_t context, ByteSpan preSign, std::span<uint8_t> data, ByteSpan postSign,
               ByteSpan token, GssStatus& status) {
  Bytes header(token.begin(), token.end());  // gss_unwrap_iov may rotate it in place
  gss_iov_buffer_desc v[4] = {
      iov(GSS_IOV_BUFFER_TYPE_HEADER, header),
      iov(GSS_IOV_BUFFER_TYPE_SIGN_ONLY, preSign),
      iov(GSS_IOV_BUFFER_TYPE_DATA, ByteSpan(data.data(), data.size())),
      iov(GSS_IOV_BUFFER_TYPE_SIGN_ONLY, postSign),
  };
  OM_uint32 minor = 0;
  int conf = 0;
  gss_qop_t qop = 0;
  OM_uint32 major = gss_unwrap_iov(&minor, context, &conf, &qop, v, 4);
  // A replayed or reordered token is GSS_S_COMPLETE with a supplementary bit (RFC 2743 1.2.3).
  if (GSS_ERROR(major) || GSS_SUPPLEMENTARY_INFO(major) != 0) {
    status = gssCallFailure("gss_unwrap_iov", major, minor);
    return false;
  }
  if (conf == 0) {
    status = GssStatus::fail(GssFailure::VerifyFailed, "the PDU was signed, not sealed");
    return false;
  }
  status = GssStatus::success();
  return true;
}

namespace {

/// The enctype of the context's key (the acceptor's subkey when there is one): MIT answers
/// GSS_C_INQ_SSPI_SESSION_KEY with the key and, second, the OID 1.2.840.113554.1.2.2.4.<enctype>
/// (GSS_KRB5_SESSION_KEY_ENCTYPE_OID). 0 when it does not say. The key copy is wiped.
int32_t contextEnctype(gss_ctx_id_t context) {
  OM_uint32 minor = 0;
  gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
  int32_t enctype = 0;
  OM_uint32 major =
      gss_inquire_sec_context_by_oid(&minor, context, GSS_C_INQ_SSPI_SESSION_KEY, &set);
  if (major == GSS_S_COMPLETE && set != GSS_C_NO_BUFFER_SET && set->count >= 2) {
    // 2a 86 48 86 f7 12 01 02 02 04 then the enctype as one arc (23 and 18 are one octet).
    static const uint8_t kPrefix[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x04};
    const auto* oid = static_cast<const uint8_t*>(set->elements[1].value);
    const size_t n = set->elements[1].length;
    if (n == sizeof kPrefix + 1 && std::equal(kPrefix, kPrefix + sizeof kPrefix, oid) &&
        oid[n - 1] < 0x80) {
      enctype = oid[n - 1];
    }
  }
  if (set != GSS_C_NO_BUFFER_SET) {
    for (size_t i = 0; i < set->count; ++i) {
      OPENSSL_cleanse(set->elements[i].value, set->elements[i].length);
    }
    gss_release_buffer_set(&minor, &set);
  }
  return enctype;
}

/// RFC 4757 7.2's MIC token: the RFC 2743 framing (60 23, the krb5 OID) and TOK_ID, SGN_ALG,
/// Filler, SND_SEQ (8), SGN_CKSUM (8): 37 bytes, as Samba's [spnego,sign] capture shows.
constexpr size_t kArcfourMicSize = 37;
/// arcfour-hmac and arcfour-hmac-exp (RFC 4757).
bool isArcfour(int32_t enctype) {
  return enctype == 23 || enctype == 24;
}

}  // namespace

size_t dceMicTokenSize(gss_ctx_id_t context, GssStatus& status) {
  // MIT 1.20's gss_get_mic_iov_length does not give the size of the RFC 4757 MIC token that
  // gss_get_mic makes (measured: the lab's first RC4 integrity bind failed on exactly that), so
  // for arcfour the size is RFC 4757's.
  if (isArcfour(contextEnctype(context))) {
    return kArcfourMicSize;
  }
  // gss_get_mic_iov_length (MIT 1.12, gssapi_ext.h) sizes the MIC_TOKEN buffer without
  // making a token, so no sequence number is spent.
  gss_iov_buffer_desc v[2];
  v[0].type = GSS_IOV_BUFFER_TYPE_DATA;
  v[0].buffer.length = 16;
  v[0].buffer.value = nullptr;
  v[1].type = GSS_IOV_BUFFER_TYPE_MIC_TOKEN;
  v[1].buffer = GSS_C_EMPTY_BUFFER;
  OM_uint32 minor = 0;
  OM_uint32 major = gss_get_mic_iov_length(&minor, context, GSS_C_QOP_DEFAULT, v, 2);
  if (GSS_ERROR(major)) {
    status = gssCallFailure("gss_get_mic_iov_length", major, minor);
    return 0;
  }
  return v[1].buffer.length;
}

bool dceSign(gss_ctx_id_t context, ByteSpan preSign, ByteSpan data, ByteSpan postSign,
             std::span<uint8_t> token, GssStatus& status) {
  Bytes message = joined(preSign, data, postSign);
  gss_buffer_desc in{message.size(), message.data()};
  gss_buffer_desc mic = GSS_C_EMPTY_BUFFER;
  OM_uint32 minor = 0;
  OM_uint32 major = gss_get_mic(&minor, context, GSS_C_QOP_DEFAULT, &in, &mic);
  if (GSS_ERROR(major)) {
    status = gssCallFailure("gss_get_mic", major, minor);
    return false;
  }
  const bool fits = mic.length == token.size();
  const size_t made = mic.length;
  if (fits) {
    std::copy_n(static_cast<const uint8_t*>(mic.value), mic.length, token.begin());
  }
  gss_release_buffer(&minor, &mic);
  if (!fits) {
    status = GssStatus::fail(GssFailure::Other, "gss_get_mic's token has " + std::to_string(made) +
                                                    " bytes, not the " +
                                                    std::to_string(token.size()) + " announced");
    return false;
  }
  status = GssStatus::success();
  return true;
}

bool dceVerify(gss_ctx_id_t context, ByteSpan preSign, ByteSpan data, ByteSpan postSign,
               ByteSpan token, GssStatus& status) {
  Bytes message = joined(preSign, data, postSign);
  gss_buffer_desc in{message.size(), message.data()};
  gss_buffer_desc mic{token.size(), const_cast<uint8_t*>(token.data())};
  OM_uint32 minor = 0;
  gss_qop_t qop = 0;
  OM_uint32 major = gss_verify_mic(&minor, context, &in, &mic, &qop);
  // As dceUnwrap: a replayed or reordered token is a supplementary bit (RFC 2743 1.2.3).
  if (GSS_ERROR(major) || GSS_SUPPLEMENTARY_INFO(major) != 0) {
    status = gssCallFailure("gss_verify_mic", major, minor);
    return false;
  }
  status = GssStatus::success();
  return true;
}

}  // namespace bh::secure::kerberos
