#include "proxy/generic/generic_accelerator.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "proxy/codec/optimization_policy.h"

using namespace bh::proxy;
namespace PolicyBits = bh::proxy::codec::PolicyBits;

namespace {

struct Scratch {
  std::filesystem::path path;
  Scratch() {
    path = std::filesystem::temp_directory_path() /
           ("bh-generic-" + std::to_string(std::random_device{}()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

struct Logs {
  std::vector<std::string> info, error;
  GenericAccelerator make(const std::string& dir) {
    return GenericAccelerator(
        dir, [this](const std::string& l) { info.push_back(l); },
        [this](const std::string& l) { error.push_back(l); });
  }
  bool saw(const std::vector<std::string>& lines, const std::string& part) const {
    for (const auto& l : lines) {
      if (l.find(part) != std::string::npos) {
        return true;
      }
    }
    return false;
  }
};

FlowInfo peered(const std::string& peerId, uint8_t applied) {
  FlowInfo f;
  f.peerId = peerId;
  f.policy.applied = applied;
  return f;
}

bh::Bytes text(size_t n) {
  std::mt19937 rng(7);
  bh::Bytes b(n);
  for (auto& x : b) {
    x = static_cast<uint8_t>(rng());
  }
  return b;
}

}  // namespace

TEST_CASE("GenericAccelerator without its cache: TFO only, no codec, no ledger") {
  Scratch dir;
  Logs logs;
  // A file where the cache directory should be: the cache cannot open.
  std::ofstream(dir.path / "dre") << "not a directory";
  GenericAccelerator g = logs.make(dir.path.string());
  CHECK(g.localLimits() == PolicyBits::TcpOptimize);
  g.open(64, 3);
  CHECK_FALSE(g.cacheOpen());
  CHECK_FALSE(g.cacheEpoch().has_value());
  CHECK(logs.saw(logs.error, "flows get TFO only"));
  CHECK(g.localLimits() == PolicyBits::TcpOptimize);
  CHECK(g.codecFor(peered("p", PolicyBits::All)) == nullptr);
  CHECK(g.ledgers().empty());
}

TEST_CASE("GenericAccelerator: a codec per applied policy, one ledger per DRE peer") {
  Scratch dir;
  Logs logs;
  GenericAccelerator g = logs.make(dir.path.string());
  g.open(64, 3);
  REQUIRE(g.cacheOpen());
  CHECK(g.cacheEpoch().has_value());
  CHECK(g.localLimits() == PolicyBits::All);
  CHECK(g.codecFor(peered("a", PolicyBits::TcpOptimize)) == nullptr);  // the identity
  CHECK(g.codecFor(peered("a", PolicyBits::TcpOptimize | PolicyBits::Lz)) != nullptr);
  CHECK(g.ledgers().empty());  // LZ only: nothing is recorded of the peer
  CHECK(g.codecFor(peered("a", PolicyBits::All)) != nullptr);
  CHECK(g.codecFor(peered("b", PolicyBits::TcpOptimize | PolicyBits::Dre)) != nullptr);
  CHECK(g.codecFor(peered("a", PolicyBits::All)) != nullptr);  // the same ledger again
  auto l = g.ledgers();
  REQUIRE(l.size() == 2);
  CHECK(l[0].peerId == "a");
  CHECK(l[1].peerId == "b");
}

TEST_CASE("GenericAccelerator keeps at most kMaxPeers ledgers") {
  Scratch dir;
  Logs logs;
  GenericAccelerator g = logs.make(dir.path.string());
  g.open(64, 3);
  REQUIRE(g.cacheOpen());
  for (size_t i = 0; i <= GenericAccelerator::kMaxPeers; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "peer%04zu", i);
    g.codecFor(peered(id, PolicyBits::All));
  }
  auto l = g.ledgers();
  CHECK(l.size() == GenericAccelerator::kMaxPeers);
  CHECK(l.front().peerId == "peer0001");  // the first-named went
  CHECK(l.back().peerId == "peer0256");
}

TEST_CASE("GenericAccelerator saves its peers' ledgers and a restarted box restores them") {
  Scratch dir;
  Logs logs;
  const std::string peer = "00:1a:64:d3:2f:b8";
  size_t chunks = 0;
  {
    GenericAccelerator g = logs.make(dir.path.string());
    g.open(64, 3);
    REQUIRE(g.cacheOpen());
    auto codec = g.codecFor(peered(peer, PolicyBits::All));
    REQUIRE(codec);
    std::vector<codec::Frame> toPeer;
    codec->start(toPeer);
    bh::Bytes in = text(256 << 10), out;
    uint16_t flags = 0;
    codec->encode(in, out, flags);
    codec->flush(out, flags);
    chunks = g.ledgers().at(0).chunks;
    REQUIRE(chunks > 0);
    g.saveLedgers();
  }
  // The peer id's hex digits name the file; anything else becomes '-'.
  const auto file = dir.path / "dre" / "ledger-00-1a-64-d3-2f-b8.bin";
  CHECK(std::filesystem::exists(file));
  {
    GenericAccelerator g = logs.make(dir.path.string());
    CHECK(g.ledgerPath(peer) == file.string());
    g.open(64, 3);
    g.codecFor(peered(peer, PolicyBits::All));
    REQUIRE(g.ledgers().size() == 1);
    CHECK(g.ledgers()[0].chunks == chunks);
    CHECK(logs.saw(logs.info, "restored: " + std::to_string(chunks) + " chunks"));
  }
  // A damaged ledger costs reduction only: the peer's ledger starts empty.
  std::ofstream(file, std::ios::binary | std::ios::trunc) << "damaged";
  GenericAccelerator g = logs.make(dir.path.string());
  g.open(64, 3);
  g.codecFor(peered(peer, PolicyBits::All));
  CHECK(g.ledgers().at(0).chunks == 0);
  CHECK(logs.saw(logs.error, "is damaged: starting empty"));
}
