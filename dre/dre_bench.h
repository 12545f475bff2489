#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "dre/dre_config.h"

namespace bh::dre {

struct BenchConfig {
  size_t dataBytes = 64u << 20;  ///< generated data per pass (generateBenchData)
  uint64_t seed = 1;
  size_t readBytes = 64 * 1024;  ///< encode()/decode() call size, as the proxy's reads
  DreConfig dre;                 ///< zstdLevel etc. of the DRE+LZ codec under test
  int zstdOnlyLevel = 3;         ///< the baseline: zstd alone, long-distance matching on
};

/// One run, one thread. "cold" = first pass over empty caches; "warm" = the same data again
/// through a new flow over the filled caches. Throughput is MB/s (10^6) of original data per
/// second of this thread's CPU time (i.e. per core); roundTrip counts encode + decode together.
struct BenchResult {
  size_t originalBytes = 0;
  double coldEncodeMBps = 0, coldDecodeMBps = 0, coldRoundTripMBps = 0;
  double warmEncodeMBps = 0, warmDecodeMBps = 0, warmRoundTripMBps = 0;
  double coldReduction = 0;            ///< DRE+LZ, first pass (1 - wire/original)
  double warmReduction = 0;            ///< DRE+LZ, second pass
  double twoPassReduction = 0;         ///< DRE+LZ over both passes
  double zstdLdmReduction = 0;         ///< zstd+LDM over the data once
  double zstdLdmTwoPassReduction = 0;  ///< zstd+LDM over the data twice as one stream
  double zstdLdmMBps = 0;              ///< its compression speed (single pass)
  bool verified = false;               ///< every decoded byte equal to the original
  std::string json;                    ///< all of the above as one JSON object
};

/// Runs the DRE benchmark; the integrator calls it from bench/ (no output of its own).
BenchResult runDreBench(const BenchConfig& config);

}  // namespace bh::dre
