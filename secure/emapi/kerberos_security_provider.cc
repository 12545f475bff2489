#include "secure/emapi/kerberos_security_provider.h"

namespace bh::secure::emapi {

using mapi::dcerpc::PType;

ParseResult KerberosSecurityProvider::unwrap(mapi::dcerpc::Pdu& pdu, ByteSpan raw) {
  switch (pdu.ptype()) {
    case PType::Bind:
    case PType::BindAck:
    case PType::BindNak:
    case PType::AlterContext:
    case PType::AlterContextResp:
    case PType::Auth3:
      if (!pdu.auth && pdu.ptype() != PType::BindNak) {
        return ParseResult::fail(
            "a bind-family PDU without an auth trailer in a Kerberos association");
      }
      return session_.observeBindLeg(dir_, raw);
    case PType::Request:
    case PType::Response: {
      if (!pdu.auth) {
        return ParseResult::fail("a request/response in the clear in a Kerberos association");
      }
      Bytes plain;
      Unwrapped info;
      ParseResult r = session_.unwrap(dir_, raw, plain, info);
      if (!r.ok()) {
        return r;
      }
      if (auto* req = std::get_if<mapi::dcerpc::Request>(&pdu.body)) {
        req->stub = std::move(plain);
      } else if (auto* rsp = std::get_if<mapi::dcerpc::Response>(&pdu.body)) {
        rsp->stub = std::move(plain);
      }
      pdu.auth.reset();
      ++unwrapped_;
      return ParseResult::done(raw.size());
    }
    default:
      // fault, shutdown, co_cancel, orphaned: not protected (MS-RPCE 3.3.1.5.2 seals
      // requests and responses only).
      return ParseResult::done(raw.size());
  }
}

}  // namespace bh::secure::emapi
