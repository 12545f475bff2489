// bh-dre-bench: DRE+LZ codec throughput per core (cold and warm cache) and reduction against
// zstd alone with long-distance matching, on the same generated data in the same run.
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "dre/dre_bench.h"

int main(int argc, char** argv) {
  bh::dre::BenchConfig cfg;
  if (argc > 1) {
    cfg.dataBytes = std::strtoull(argv[1], nullptr, 10) << 20;
  }
  bh::dre::BenchResult r = bh::dre::runDreBench(cfg);
  const std::string& json = r.json;
  std::printf("%s\n", json.c_str());
  if (argc > 2) {
    std::ofstream(argv[2]) << json << "\n";
  }
  return 0;
}
