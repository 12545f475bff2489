#include "secure/psk_offer.h"

namespace bh::secure {

namespace {

uint16_t u16At(ByteSpan b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

}  // namespace

ParseResult parseOfferedPskIdentities(ByteSpan ext, std::vector<ByteSpan>& identities) {
  identities.clear();
  // struct { PskIdentity identities<7..2^16-1>; PskBinderEntry binders<33..2^16-1>; }
  if (ext.size() < 2) {
    return ParseResult::fail("pre_shared_key: no identities length");
  }
  const size_t listLen = u16At(ext, 0);
  if (listLen < 7 || listLen > ext.size() - 2) {
    return ParseResult::fail("pre_shared_key: identities length " + std::to_string(listLen) +
                             " does not fit");
  }
  ByteSpan list = ext.subspan(2, listLen);
  size_t at = 0;
  while (at < list.size()) {
    // struct { opaque identity<1..2^16-1>; uint32 obfuscated_ticket_age; } PskIdentity;
    if (list.size() - at < 2) {
      return ParseResult::fail("pre_shared_key: identity length cut");
    }
    const size_t idLen = u16At(list, at);
    if (idLen == 0 || idLen + 4 > list.size() - at - 2) {
      return ParseResult::fail("pre_shared_key: identity of " + std::to_string(idLen) +
                               " bytes does not fit");
    }
    identities.push_back(list.subspan(at + 2, idLen));
    at += 2 + idLen + 4;
  }
  ByteSpan rest = ext.subspan(2 + listLen);
  if (rest.size() < 2 || u16At(rest, 0) < 33 || u16At(rest, 0) != rest.size() - 2) {
    identities.clear();
    return ParseResult::fail("pre_shared_key: binders length does not match the extension");
  }
  return ParseResult::done(ext.size());
}

}  // namespace bh::secure
