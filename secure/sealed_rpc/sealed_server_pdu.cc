#include "secure/sealed_rpc/sealed_server_pdu.h"

#include <utility>

#include "mapi/dcerpc/pdu_codec.h"

namespace bh::secure::sealed_rpc {

namespace dce = mapi::dcerpc;

namespace {

/// Sealed stubs are padded to 16 (MS-RPCE 2.2.2.11; as the client side, sealed_association.cc).
constexpr size_t kSealPadAlignment = 16;
/// response header without an object UUID: 16 + alloc_hint, p_cont_id, cancel_count, reserved.
constexpr size_t kResponseHeaderSize = dce::kHeaderSize + 8;

}  // namespace

size_t sealedFragmentPayload(size_t maxFrag, size_t tokenSize) {
  const size_t overhead = kResponseHeaderSize + dce::kSecTrailerSize + tokenSize;
  if (maxFrag < overhead + kSealPadAlignment) {
    return 0;
  }
  return (maxFrag - overhead) / kSealPadAlignment * kSealPadAlignment;
}

bool unsealRequestFragment(ServerSecurity& security, const SealedServerParams& params,
                           ByteSpan fragment, Bytes& plain, std::string& error) {
  dce::Pdu pdu;
  ParseResult r = dce::decodePdu(fragment, pdu);
  if (!r.ok() || r.consumed != fragment.size()) {
    error = "a request fragment that does not decode: " + r.error;
    return false;
  }
  dce::Request* q = std::get_if<dce::Request>(&pdu.body);
  if (q == nullptr) {
    error = std::string(dce::ptypeName(pdu.ptype())) + " where a request was expected";
    return false;
  }
  if (!pdu.auth) {
    error = "an unsealed request on a sealed association";
    return false;
  }
  const dce::SecTrailer& t = pdu.auth->trailer;
  if (t.authType != security.authType() || t.authLevel != params.level ||
      t.authContextId != params.authContextId) {
    error = "sec_trailer auth_type " + std::to_string(static_cast<int>(t.authType)) + " level " +
            std::to_string(static_cast<int>(t.authLevel)) + " context " +
            std::to_string(t.authContextId) + " differs from the bind's";
    return false;
  }
  // Offsets from the end: [stub + pad][sec_trailer][token] (the token is auth_length bytes).
  // decodePdu refused a pad reaching into the request's fixed part, so these do not underflow.
  const size_t token = pdu.header.authLength;
  const size_t sealedLength = q->stub.size() + t.authPadLength;
  const size_t dataEnd = fragment.size() - token - dce::kSecTrailerSize;
  const size_t dataStart = dataEnd - sealedLength;
  Bytes copy(fragment.begin(), fragment.end());
  std::span<uint8_t> all(copy);
  ByteSpan pre = params.headerSigning ? ByteSpan(copy).first(dataStart) : ByteSpan();
  ByteSpan post =
      params.headerSigning ? ByteSpan(copy).subspan(dataEnd, dce::kSecTrailerSize) : ByteSpan();
  if (!security.unseal(pre, all.subspan(dataStart, sealedLength), post,
                       ByteSpan(copy).subspan(dataEnd + dce::kSecTrailerSize))) {
    error = "call_id " + std::to_string(pdu.header.callId) + ": " + security.lastError();
    return false;
  }
  q->stub.assign(copy.begin() + static_cast<ptrdiff_t>(dataStart),
                 copy.begin() + static_cast<ptrdiff_t>(dataStart + q->stub.size()));
  pdu.auth.reset();
  auto encoded = dce::encodePdu(pdu);
  if (!encoded) {
    error = "the plain request does not encode";
    return false;
  }
  plain = std::move(*encoded);
  return true;
}

bool sealResponseFragment(ServerSecurity& security, const SealedServerParams& params,
                          dce::Pdu response, Bytes& out, std::string& error) {
  const size_t tokenSize = security.sealedTokenSize();
  if (tokenSize == 0) {
    error = "no sealed token size: " + security.lastError();
    return false;
  }
  const dce::Response* resp = response.response();
  if (resp == nullptr) {
    error = "only responses are sealed";
    return false;
  }
  const size_t stub = resp->stub.size();
  const size_t pad = (kSealPadAlignment - stub % kSealPadAlignment) % kSealPadAlignment;
  dce::AuthVerifier v;
  v.pad.assign(pad, 0);
  v.trailer.authType = security.authType();
  v.trailer.authLevel = params.level;
  v.trailer.authContextId = params.authContextId;
  v.credentials.assign(tokenSize, 0);
  response.auth = std::move(v);
  auto encoded = dce::encodePdu(response);
  if (!encoded) {
    error = "a sealed response fragment does not fit";
    return false;
  }
  Bytes& b = *encoded;
  const size_t dataEnd = kResponseHeaderSize + stub + pad;
  std::span<uint8_t> all(b);
  ByteSpan pre = params.headerSigning ? ByteSpan(b).first(kResponseHeaderSize) : ByteSpan();
  ByteSpan post =
      params.headerSigning ? ByteSpan(b).subspan(dataEnd, dce::kSecTrailerSize) : ByteSpan();
  if (!security.seal(pre, all.subspan(kResponseHeaderSize, stub + pad), post,
                     all.subspan(dataEnd + dce::kSecTrailerSize))) {
    error = security.lastError();
    return false;
  }
  out = std::move(b);
  return true;
}

}  // namespace bh::secure::sealed_rpc
