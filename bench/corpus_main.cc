// bh-corpus: writes deterministic "office WAN" test data (dre/bench_data.h) to stdout, and
// optionally a copy with a share of its bytes changed, for DRE tests and benchmarks.
//   bh-corpus BYTES SEED [EDIT_PERMILLE EDIT_SEED]
// Edits replace scattered 1 KiB spans with random bytes until EDIT_PERMILLE/1000 of the data
// differs (the "1 % random edits" is 10).
#include <cstdio>
#include <cstdlib>
#include <random>

#include "dre/bench_data.h"

int main(int argc, char** argv) {
  if (argc != 3 && argc != 5) {
    std::fprintf(stderr, "usage: bh-corpus BYTES SEED [EDIT_PERMILLE EDIT_SEED]\n");
    return 2;
  }
  size_t bytes = std::strtoull(argv[1], nullptr, 10);
  uint64_t seed = std::strtoull(argv[2], nullptr, 10);
  bh::Bytes data = bh::dre::generateBenchData(bytes, seed);
  if (argc == 5) {
    size_t permille = std::strtoull(argv[3], nullptr, 10);
    std::mt19937_64 rng(std::strtoull(argv[4], nullptr, 10));
    const size_t span = 1024;
    size_t target = data.size() * permille / 1000;
    for (size_t changed = 0; changed < target && data.size() > span; changed += span) {
      size_t at = rng() % (data.size() - span);
      for (size_t i = 0; i < span; ++i) {
        data[at + i] = static_cast<uint8_t>(rng());
      }
    }
  }
  return std::fwrite(data.data(), 1, data.size(), stdout) == data.size() ? 0 : 1;
}
