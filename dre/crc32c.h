#pragma once

#include <cstdint>

#include "common/bytes.h"

namespace bh::dre {

/// CRC-32C (Castagnoli), the record and block checksum. Uses the SSE4.2 instruction when the
/// CPU has it (tens of GB/s) and a table otherwise; both give the same value.
uint32_t crc32c(ByteSpan data, uint32_t seed = 0);

/// The table implementation, exposed so a test can compare it with the hardware path.
uint32_t crc32cPortable(ByteSpan data, uint32_t seed = 0);

}  // namespace bh::dre
