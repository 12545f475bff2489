// Replays tests/vectors/dre/*/ (made by tests/vectors/dre/make_vectors.py, an independent Python
// model of the wire format and the chunker) against the C++ decoder, chunker and encoder.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "dre/chunker.h"
#include "tests/unit/dre/dre_test_util.h"

using namespace bh;
using namespace bh::dre;
namespace fs = std::filesystem;

namespace {

const fs::path kVectors = fs::path(BH_SOURCE_DIR) / "tests" / "vectors" / "dre";

Bytes readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void runDecodeCase(const fs::path& dir, const nlohmann::json& exp) {
  auto cache = test::memoryCache();
  DreDecoder d(*cache, DreConfig{});
  Bytes out;
  DecodeResult r = d.decode(readFile(dir / "stream.bin"), out);
  if (fs::exists(dir / "repair.bin")) {
    REQUIRE(r.status == DecodeStatus::Missing);
    REQUIRE(d.applyRepair(readFile(dir / "repair.bin")).ok());
    r = d.decode({}, out);
  }
  const std::string status = exp["status"];
  if (status == "ok") {
    CHECK(r.status == DecodeStatus::Ok);
    CHECK(out == readFile(dir / "output.bin"));
    CHECK(d.bufferedBytes() == 0);
  } else if (status == "needmore") {
    CHECK(r.status == DecodeStatus::Ok);
    CHECK(out.empty());
    CHECK(d.bufferedBytes() > 0);
  } else if (status == "missing") {
    CHECK(r.status == DecodeStatus::Missing);
    CHECK(out.empty());
    std::vector<std::string> got;
    for (const auto& m : r.missing) {
      got.push_back(m.fp.toHex());
    }
    CHECK(got == exp["missing"].get<std::vector<std::string>>());
  } else {
    CHECK(status == "error");
    CHECK(r.status == DecodeStatus::Error);
    CHECK(out.empty());
  }
}

void runChunkCase(const fs::path& dir, const nlohmann::json& exp) {
  Chunker c(ChunkerConfig{exp["min"], exp["avg"], exp["max"]});
  Bytes data = readFile(dir / "input.bin");
  std::vector<size_t> cuts;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t n = c.findCut(ByteSpan(data).subspan(pos));
    if (n == 0) {
      break;
    }
    pos += n;
    cuts.push_back(pos);
  }
  CHECK(cuts == exp["cuts"].get<std::vector<size_t>>());
}

void runEncodeCase(const fs::path& dir, const nlohmann::json& exp) {
  DreConfig cfg;
  cfg.chunker = ChunkerConfig{exp["min"], exp["avg"], exp["max"]};
  cfg.blockTargetBytes = exp["block_target"];
  cfg.maxBlockBytes = exp["max_block"];
  cfg.minCachedChunkBytes = exp["min_cached"];
  cfg.zstdLevel = 0;
  REQUIRE(cfg.validate().empty());
  auto cache = test::memoryCache();
  PeerLedger ledger(1 << 30, 1 << 20);
  ledger.syncEpoch(std::stoull(exp["epoch"].get<std::string>(), nullptr, 16));
  DreEncoder e(*cache, ledger, cfg);
  Bytes data = readFile(dir / "input.bin");
  Bytes wire;
  e.encode(data, true, wire);
  CHECK(wire == readFile(dir / "stream.bin"));
  auto rc = test::memoryCache();
  DreDecoder d(*rc, cfg);
  Bytes out;
  CHECK(d.decode(wire, out).status == DecodeStatus::Ok);
  CHECK(out == data);
}

}  // namespace

TEST_CASE("golden vectors from the independent Python model") {
  REQUIRE(fs::is_directory(kVectors));
  size_t cases = 0;
  for (const auto& e : fs::directory_iterator(kVectors)) {
    if (!e.is_directory()) {
      continue;
    }
    std::ifstream in(e.path() / "expected.json");
    nlohmann::json exp = nlohmann::json::parse(in);
    const std::string kind = exp["kind"];
    CAPTURE(e.path().filename().string());
    if (kind == "decode") {
      runDecodeCase(e.path(), exp);
    } else if (kind == "chunk") {
      runChunkCase(e.path(), exp);
    } else {
      REQUIRE(kind == "encode");
      runEncodeCase(e.path(), exp);
    }
    ++cases;
  }
  CHECK(cases >= 15);
}
