#include "secure/kerberos/kdc_clock.h"

#include <krb5.h>

#include <memory>

namespace bh::secure::kerberos {

namespace {

/// A KRB-ERROR is a few hundred bytes (its e-data lists the pre-authentication methods): a reply
/// longer than this is not read.
constexpr size_t kMaxErrorReply = 64 * 1024;

struct ContextFree {
  void operator()(krb5_context c) const { krb5_free_context(c); }
};
using Context = std::unique_ptr<std::remove_pointer_t<krb5_context>, ContextFree>;

Context makeContext(std::string& why) {
  krb5_context raw = nullptr;
  krb5_error_code e = krb5_init_context(&raw);
  if (e != 0) {
    why = "krb5_init_context failed (error " + std::to_string(e) + ")";
    return nullptr;
  }
  return Context(raw);
}

std::string krbMessage(krb5_context ctx, krb5_error_code e) {
  const char* m = krb5_get_error_message(ctx, e);
  std::string s = m != nullptr ? m : "unknown Kerberos error";
  krb5_free_error_message(ctx, m);
  return s;
}

}  // namespace

Outcome<Bytes> kdcClockProbeRequest(const std::string& principal) {
  std::string why;
  Context ctx = makeContext(why);
  if (!ctx) {
    return Outcome<Bytes>::failure(why);
  }
  krb5_principal client = nullptr;
  if (krb5_error_code e = krb5_parse_name(ctx.get(), principal.c_str(), &client); e != 0) {
    return Outcome<Bytes>::failure("principal '" + principal + "': " + krbMessage(ctx.get(), e));
  }
  krb5_init_creds_context icc = nullptr;
  krb5_error_code e = krb5_init_creds_init(ctx.get(), client, nullptr, nullptr, 0, nullptr, &icc);
  krb5_free_principal(ctx.get(), client);
  if (e != 0) {
    return Outcome<Bytes>::failure("krb5_init_creds_init: " + krbMessage(ctx.get(), e));
  }
  krb5_data in{};
  krb5_data out{};
  krb5_data realm{};
  unsigned int flags = 0;
  e = krb5_init_creds_step(ctx.get(), icc, &in, &out, &realm, &flags);
  Outcome<Bytes> result =
      e != 0 ? Outcome<Bytes>::failure("krb5_init_creds_step: " + krbMessage(ctx.get(), e))
             : Outcome<Bytes>::success(Bytes(reinterpret_cast<uint8_t*>(out.data),
                                             reinterpret_cast<uint8_t*>(out.data) + out.length));
  krb5_free_data_contents(ctx.get(), &out);
  krb5_free_data_contents(ctx.get(), &realm);
  krb5_init_creds_free(ctx.get(), icc);
  return result;
}

Outcome<KdcErrorTime> kdcTimeFromReply(ByteSpan reply) {
  using Result = Outcome<KdcErrorTime>;
  if (reply.size() > kMaxErrorReply) {
    return Result::failure("KDC reply of " + std::to_string(reply.size()) +
                           " bytes is too long for a KRB-ERROR");
  }
  // [APPLICATION 30] (RFC 4120 5.9.1): checked here so that nothing else reaches the decoder.
  if (reply.empty() || reply[0] != 0x7e) {
    return Result::failure("the KDC's reply is not a KRB-ERROR");
  }
  std::string why;
  Context ctx = makeContext(why);
  if (!ctx) {
    return Result::failure(why);
  }
  krb5_data d{};
  d.data = const_cast<char*>(reinterpret_cast<const char*>(reply.data()));
  d.length = static_cast<unsigned int>(reply.size());
  krb5_error* err = nullptr;
  if (krb5_error_code e = krb5_rd_error(ctx.get(), &d, &err); e != 0) {
    return Result::failure("the KDC's KRB-ERROR does not decode: " + krbMessage(ctx.get(), e));
  }
  KdcErrorTime t;
  t.kdcTimeUs = static_cast<int64_t>(err->stime) * 1000000 + err->susec;
  t.errorCode = static_cast<int32_t>(err->error);
  if (err->server != nullptr) {
    t.realm.assign(err->server->realm.data, err->server->realm.length);
  }
  krb5_free_error(ctx.get(), err);
  return Result::success(std::move(t));
}

int64_t kdcClockOffsetUs(const KdcErrorTime& reply, int64_t sentUs, int64_t receivedUs) {
  return reply.kdcTimeUs - (sentUs + (receivedUs - sentUs) / 2);
}

std::string kerberosErrorName(int32_t code) {
  switch (code) {
    case 6:
      return "KDC_ERR_C_PRINCIPAL_UNKNOWN";
    case 7:
      return "KDC_ERR_S_PRINCIPAL_UNKNOWN";
    case 14:
      return "KDC_ERR_ETYPE_NOSUPP";
    case 18:
      return "KDC_ERR_CLIENT_REVOKED";
    case 24:
      return "KDC_ERR_PREAUTH_FAILED";
    case 25:
      return "KDC_ERR_PREAUTH_REQUIRED";
    case 37:
      return "KRB_AP_ERR_SKEW";
    case 68:
      return "KDC_ERR_WRONG_REALM";
    default:
      return "Kerberos error " + std::to_string(code);
  }
}

}  // namespace bh::secure::kerberos
