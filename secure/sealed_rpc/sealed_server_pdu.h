#pragma once
// The server's half of packet privacy on an established association, one PDU at a time
// (MS-RPCE 2.2.2.11, 3.3.1.5.2.2; the layout in emapi-lab.md §4): a sealed request fragment
// verified and decrypted into the same fragment without its auth verifier, for a DCE/RPC stream
// engine that reassembles plain calls; a plain response fragment padded to 16, given its
// sec_trailer and sealed. Pure code over bytes; the legs of the bind are the caller's (it holds
// the ServerSecurity).

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/bytes.h"
#include "mapi/dcerpc/pdu.h"
#include "secure/sealed_rpc/server_security.h"

namespace bh::secure::sealed_rpc {

struct SealedServerParams {
  mapi::dcerpc::AuthLevel level = mapi::dcerpc::AuthLevel::PktPrivacy;
  uint32_t authContextId = 0;  ///< the client's, echoed in every response
  bool headerSigning = false;  ///< PFC_SUPPORT_HEADER_SIGN offered and echoed at bind
};

/// Stub bytes per sealed response fragment (a multiple of 16) within `maxFrag`, or 0 when the
/// fragment leaves no room: 24-byte header, stub + pad, 8-byte sec_trailer, the token.
size_t sealedFragmentPayload(size_t maxFrag, size_t tokenSize);

/// `fragment`: one whole request PDU (framed by the caller: frag_length bytes). Checks the
/// sec_trailer (type, level 6, context id), unseals the stub in a copy with the header and
/// sec_trailer signed as received, and writes the plain fragment (same header fields, no auth
/// verifier, the pad dropped) to `plain`. @return false with `error` named otherwise.
bool unsealRequestFragment(ServerSecurity& security, const SealedServerParams& params,
                           ByteSpan fragment, Bytes& plain, std::string& error);

/// `response`: one plain response fragment (no auth). Pads its stub to 16, adds the sec_trailer
/// and a token, and seals it after frag_length and auth_length are written (they are signed).
bool sealResponseFragment(ServerSecurity& security, const SealedServerParams& params,
                          mapi::dcerpc::Pdu response, Bytes& out, std::string& error);

}  // namespace bh::secure::sealed_rpc
