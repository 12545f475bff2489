#pragma once

// The context of a keyed Kerberos DCE/RPC session as the core hands it to the edge (issue 18:
// only over a WAN secure peer leg): what a KerberosDceSession continues from (its Context),
// in a small versioned binary frame. The edge reads it from an authenticated but otherwise
// untrusted peer, so the decoder frames first, checks every length against its cap before it
// reads, and refuses anything it does not know (a version, a state, a flag, an enctype, a key
// of the wrong size, a byte left over). Secret: the frame carries keys; neither this codec nor
// its callers print it.
//
// Layout (integers big-endian):
//   "BHKC" | version (1) | body length (u16, <= kMaxExportedContext - 7) | body
//   body: state (1: AwaitingThirdLeg, 2: AwaitingAlterContextResp, 3: Established)
//         auth_type (9 | 16) | auth_level (5 | 6) | auth_context_id (u32)
//         flags (0x01 header signing, 0x02 initiator subkey, 0x04 acceptor subkey)
//         initiator received, initiator sent, acceptor received, acceptor sent (u64 each)
//         session key, [initiator subkey], [acceptor subkey]: enctype (u16) | length (u8) | bytes

#include <cstddef>
#include <cstdint>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "secure/emapi/kerberos_dce_session.h"

namespace bh::secure::emapi {

inline constexpr uint8_t kExportedContextVersion = 1;
/// The whole frame: a fixed part and three keys of at most kMaxExportedKey bytes.
inline constexpr size_t kMaxExportedContext = 256;
/// The longest key carried (aes256: 32 bytes).
inline constexpr size_t kMaxExportedKey = 32;

/// Encodes a keyed session's context. Returns an empty buffer when `ctx` is not one the decoder
/// would accept (not keyed, an enctype or key size it refuses). The buffer is sized once, so no
/// copy of the keys is left behind in memory it gave back.
Bytes encodeExportedContext(const KerberosDceSession::Context& ctx);

/// Frames and decodes one exported context at the start of `data`.
/// @return Done (consumed = the frame's size), NeedMore(total) while the frame is cut, or Error
/// naming what is wrong (never a key byte).
ParseResult decodeExportedContext(ByteSpan data, KerberosDceSession::Context& out);

}  // namespace bh::secure::emapi
