#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "optimization_policy.h"

namespace bh::proxy::codec {

/// Why a peer aborted a flow (Reset frame payload, big-endian u16). Values a newer peer sends
/// are kept as numbers.
namespace ResetReason {
constexpr uint16_t Unspecified = 0;
constexpr uint16_t ClientReset = 1;    ///< the client sent RST
constexpr uint16_t ServerReset = 2;    ///< the server sent RST or refused the connection
constexpr uint16_t ProtocolError = 3;  ///< a peer frame failed to decode
constexpr uint16_t Overload = 4;  ///< no room for another optimized flow, or over the memory budget
constexpr uint16_t VersionMismatch = 5;
constexpr uint16_t TupleMismatch = 6;  ///< the Hello's 4-tuple is not the accepted connection's
}  // namespace ResetReason

bool encodeReset(uint16_t reason, Bytes& out);
ParseResult decodeReset(ByteSpan payload, uint16_t& reason);

}  // namespace bh::proxy::codec
