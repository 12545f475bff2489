#include "mapi/dcerpc/security_provider.h"

namespace bh::mapi::dcerpc {

ParseResult IdentitySecurityProvider::unwrap(Pdu& /*pdu*/, ByteSpan raw) {
  return ParseResult::done(raw.size());
}

IdentitySecurityProvider& IdentitySecurityProvider::instance() {
  static IdentitySecurityProvider identity;
  return identity;
}

}  // namespace bh::mapi::dcerpc
