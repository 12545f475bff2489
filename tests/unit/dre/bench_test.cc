// Checks that the benchmark measures what it says (small data, no timing assertions).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "dre/bench_data.h"
#include "dre/dre_bench.h"

using namespace bh;
using namespace bh::dre;

TEST_CASE("bench data is deterministic and mixed") {
  Bytes a = generateBenchData(1 << 20, 5);
  CHECK(a == generateBenchData(1 << 20, 5));
  CHECK(a != generateBenchData(1 << 20, 6));
  CHECK(a.size() == (1u << 20));
}

TEST_CASE("runDreBench verifies its round trip and reports sane reductions as JSON") {
  BenchConfig cfg;
  cfg.dataBytes = 4 << 20;
  BenchResult r = runDreBench(cfg);
  CHECK(r.verified);
  CHECK(r.originalBytes == cfg.dataBytes);
  CHECK(r.warmReduction > 0.95);
  CHECK(r.coldReduction > 0.2);
  CHECK(r.coldReduction < r.warmReduction);
  CHECK(r.zstdLdmReduction > 0.2);
  auto j = nlohmann::json::parse(r.json);
  CHECK(j["verified"] == true);
  CHECK(j["warm"]["reduction"].get<double>() == doctest::Approx(r.warmReduction).epsilon(0.001));
  CHECK(j["warm"]["roundtrip_mbps"].get<double>() > 0);
}
