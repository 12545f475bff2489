#include "dre/chunker.h"

#include <doctest/doctest.h>

#include <vector>

#include "tests/unit/dre/dre_test_util.h"

using namespace bh;
using namespace bh::dre;

namespace {

std::vector<size_t> cutAll(const Chunker& c, ByteSpan data) {
  std::vector<size_t> cuts;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t n = c.findCut(data.subspan(pos));
    if (n == 0) {
      break;
    }
    pos += n;
    cuts.push_back(pos);
  }
  return cuts;
}

}  // namespace

TEST_CASE("chunker respects min and max and averages near the target") {
  ChunkerConfig cfg;
  Chunker c(cfg);
  Bytes data = test::randomBytes(8 << 20, 1);
  auto cuts = cutAll(c, data);
  REQUIRE(cuts.size() > 100);
  size_t prev = 0;
  for (size_t cut : cuts) {
    CHECK(cut - prev > cfg.minSize);
    CHECK(cut - prev <= cfg.maxSize);
    prev = cut;
  }
  const double avg = static_cast<double>(cuts.back()) / static_cast<double>(cuts.size());
  CHECK(avg > cfg.avgSize * 0.7);
  CHECK(avg < cfg.avgSize * 1.5);
}

TEST_CASE("chunker forces a cut at max on constant data and waits for more below it") {
  ChunkerConfig cfg;
  Chunker c(cfg);
  Bytes zeros(cfg.maxSize * 2, 0);
  CHECK(c.findCut(zeros) == cfg.maxSize);
  CHECK(c.findCut(ByteSpan(zeros).first(cfg.maxSize - 1)) == 0);
  CHECK(c.findCut(ByteSpan(zeros).first(cfg.minSize)) == 0);
}

TEST_CASE("chunker cut points are content-defined: an insertion resynchronizes") {
  Chunker c(ChunkerConfig{});
  Bytes data = test::randomBytes(2 << 20, 2);
  Bytes edited = data;
  edited.insert(edited.begin() + 100000, 77, 0x5a);
  auto a = cutAll(c, data);
  auto b = cutAll(c, edited);
  size_t shared = 0;
  for (size_t cut : b) {
    if (cut > 100000 + 77 && std::binary_search(a.begin(), a.end(), cut - 77)) {
      ++shared;
    }
  }
  // All cuts well after the edit coincide (shifted by the insertion).
  size_t after = 0;
  for (size_t cut : a) {
    after += cut > 200000 ? 1 : 0;
  }
  CHECK(shared >= after);
}

TEST_CASE("chunker config validation") {
  CHECK(ChunkerConfig{}.validate().empty());
  CHECK_FALSE(ChunkerConfig{2048, 6000, 65536}.validate().empty());
  CHECK_FALSE(ChunkerConfig{8192, 8192, 65536}.validate().empty());
  CHECK_FALSE(ChunkerConfig{32, 256, 1024}.validate().empty());
}
