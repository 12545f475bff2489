#pragma once

#include <cstddef>
#include <cstdint>

#include "common/bytes.h"

namespace bh::dre {

/// Deterministic "office WAN" data for benchmarks: mail/log text with varying numbers, binary
/// records (counters, ids, small random fields), incompressible blobs (compressed attachments,
/// ~20%), and some content repeated within the data (a forwarded attachment, ~10%).
Bytes generateBenchData(size_t bytes, uint64_t seed);

}  // namespace bh::dre
