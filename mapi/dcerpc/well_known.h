#pragma once

#include "mapi/dcerpc/uuid.h"

namespace bh::mapi::dcerpc {

/// Syntaxes this codebase names. Parsed once from their canonical strings (which are checked by
/// the unit tests against the wire bytes impacket writes).
namespace syntax {

/// NDR 2.0 transfer syntax (C706 14; MS-RPCE 2.2.4.12).
const SyntaxId& ndr();
/// NDR64 1.0 transfer syntax (MS-RPCE 2.2.5).
const SyntaxId& ndr64();
/// Endpoint mapper interface v3.0 (C706 Appendix O; MS-RPCE 2.2.1.2.5).
const SyntaxId& epm();
/// EMSMDB v0.81 (MS-OXCRPC 1.9).
const SyntaxId& emsmdb();
/// AsyncEMSMDB v0.1 (MS-OXCRPC 1.9).
const SyntaxId& asyncEmsmdb();

/// Bind time feature negotiation transfer syntaxes are 6cb71c2c-9812-4540-xxxx-...: the first
/// 8 bytes fixed, the next 8 a little-endian feature bitmask (MS-RPCE 3.3.1.5.3).
bool isBindTimeFeatureNegotiation(const Uuid& transfer);

}  // namespace syntax
}  // namespace bh::mapi::dcerpc
