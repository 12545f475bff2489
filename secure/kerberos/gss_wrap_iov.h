#pragma once
// The per-PDU sealing of a DCE-style GSS-API context, for the acceptor (gss_dce_acceptor.h):
// gss_wrap_iov / gss_unwrap_iov with the whole token in the HEADER buffer, the stub as DATA and,
// with header signing, the PDU before the stub and the sec_trailer as SIGN_ONLY (MS-RPCE
// 3.3.1.5.2.2; emapi-lab.md §4.5; Samba's gssapi_seal_packet does the same). The initiator
// (gss_dce_context.cc) predates this file and keeps its own copy of the same calls.

#include <gssapi/gssapi.h>

#include <cstddef>
#include <span>

#include "common/bytes.h"
#include "secure/kerberos/gss_status.h"

namespace bh::secure::kerberos {

/// SPNEGO's mechanism (RFC 4178, 1.3.6.1.5.5.2), what auth_type 9 negotiates Kerberos through.
gss_OID spnegoMechanism();

/// A GSS-API call's failure, named from both codes with MIT's words (never key bytes).
GssStatus gssCallFailure(const char* call, OM_uint32 major, OM_uint32 minor);

/// auth_length of a sealed PDU (76 for AES), or 0 with `status` set.
size_t dceWrapTokenSize(gss_ctx_id_t context, GssStatus& status);
/// Seals `data` in place, the token into `token` (exactly dceWrapTokenSize() bytes).
bool dceWrap(gss_ctx_id_t context, ByteSpan preSign, std::span<uint8_t> data, ByteSpan postSign,
             std::span<uint8_t> token, GssStatus& status);
/// Verifies and decrypts `data` in place; a replayed or reordered token fails too.
bool dceUnwrap(gss_ctx_id_t context, ByteSpan preSign, std::span<uint8_t> data, ByteSpan postSign,
               ByteSpan token, GssStatus& status);

/// Packet integrity (MS-RPCE 3.3.1.5.2, emapi-lab.md §4; Samba's gensec_gssapi_sign_packet):
/// a MIC token (RFC 4121 4.2.6.1, RFC 4757 7.2) over `preSign`, `data` and `postSign` in that
/// order, the stub left clear. Its size (28 for AES, 37 for RC4), asked without using a
/// sequence number, or 0 with `status` set.
size_t dceMicTokenSize(gss_ctx_id_t context, GssStatus& status);
/// Writes the MIC into `token` (exactly dceMicTokenSize() bytes).
bool dceSign(gss_ctx_id_t context, ByteSpan preSign, ByteSpan data, ByteSpan postSign,
             std::span<uint8_t> token, GssStatus& status);
/// Verifies the MIC; a replayed or reordered token fails too.
bool dceVerify(gss_ctx_id_t context, ByteSpan preSign, ByteSpan data, ByteSpan postSign,
               ByteSpan token, GssStatus& status);

}  // namespace bh::secure::kerberos
