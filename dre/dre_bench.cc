#include "dre/dre_bench.h"

#include <time.h>
#include <zstd.h>

#include <cstdio>

#include "dre/bench_data.h"
#include "dre/chunk_cache.h"
#include "dre/dre_decoder.h"
#include "dre/dre_encoder.h"
#include "dre/peer_ledger.h"

namespace bh::dre {
namespace {

/// Per-core throughput is measured in this thread's CPU time: the bench shares the machine with
/// builds and other tests, and wall time would charge us for their slices.
struct Clock {
  using time_point = double;
  static double now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
};

double seconds(double a, double b) {
  return b - a;
}

double mbps(size_t bytes, double s) {
  return s > 0 ? static_cast<double>(bytes) / s / 1e6 : 0;
}

struct PassResult {
  double encodeSeconds = 0;
  double decodeSeconds = 0;
  size_t wireBytes = 0;
  bool verified = false;
};

PassResult runPass(const Bytes& data, ChunkCache& sender, ChunkCache& receiver, PeerLedger& ledger,
                   const BenchConfig& config) {
  PassResult r;
  DreEncoder encoder(sender, ledger, config.dre);
  DreDecoder decoder(receiver, config.dre);
  Bytes wire;
  wire.reserve(data.size() + data.size() / 64 + 4096);
  auto t0 = Clock::now();
  for (size_t off = 0; off < data.size(); off += config.readBytes) {
    const size_t n = std::min(config.readBytes, data.size() - off);
    encoder.encode(ByteSpan(data).subspan(off, n), false, wire);
  }
  encoder.encode({}, true, wire);
  auto t1 = Clock::now();
  Bytes out;
  out.reserve(data.size());
  bool ok = true;
  for (size_t off = 0; off < wire.size() && ok; off += config.readBytes) {
    const size_t n = std::min(config.readBytes, wire.size() - off);
    ok = decoder.decode(ByteSpan(wire).subspan(off, n), out).status == DecodeStatus::Ok;
  }
  auto t2 = Clock::now();
  r.encodeSeconds = seconds(t0, t1);
  r.decodeSeconds = seconds(t1, t2);
  r.wireBytes = wire.size();
  r.verified = ok && out == data;
  return r;
}

size_t zstdLdmSize(ByteSpan data, int level, double* secondsOut) {
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_enableLongDistanceMatching, 1);
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_windowLog, 27);
  Bytes out(ZSTD_compressBound(data.size()));
  auto t0 = Clock::now();
  size_t n = ZSTD_compress2(ctx, out.data(), out.size(), data.data(), data.size());
  auto t1 = Clock::now();
  ZSTD_freeCCtx(ctx);
  if (secondsOut != nullptr) {
    *secondsOut = seconds(t0, t1);
  }
  return ZSTD_isError(n) ? data.size() : n;
}

}  // namespace

BenchResult runDreBench(const BenchConfig& config) {
  BenchResult res;
  const Bytes data = generateBenchData(config.dataBytes, config.seed);
  res.originalBytes = data.size();
  ChunkCacheConfig cc;
  cc.memoryBytes = data.size() * 2 + (64u << 20);
  std::string error;
  ChunkCachePtr sender = ChunkCache::open(cc, nullptr, error);
  ChunkCachePtr receiver = ChunkCache::open(cc, nullptr, error);
  if (sender == nullptr || receiver == nullptr) {
    res.json = "{\"error\":\"cache\"}";
    return res;
  }
  PeerLedger ledger(cc.memoryBytes, cc.memoryBytes / 64);
  ledger.syncEpoch(receiver->epoch());

  PassResult cold = runPass(data, *sender, *receiver, ledger, config);
  PassResult warm = runPass(data, *sender, *receiver, ledger, config);
  const double n = static_cast<double>(data.size());
  res.coldEncodeMBps = mbps(data.size(), cold.encodeSeconds);
  res.coldDecodeMBps = mbps(data.size(), cold.decodeSeconds);
  res.coldRoundTripMBps = mbps(data.size(), cold.encodeSeconds + cold.decodeSeconds);
  res.warmEncodeMBps = mbps(data.size(), warm.encodeSeconds);
  res.warmDecodeMBps = mbps(data.size(), warm.decodeSeconds);
  res.warmRoundTripMBps = mbps(data.size(), warm.encodeSeconds + warm.decodeSeconds);
  res.coldReduction = 1.0 - static_cast<double>(cold.wireBytes) / n;
  res.warmReduction = 1.0 - static_cast<double>(warm.wireBytes) / n;
  res.twoPassReduction = 1.0 - static_cast<double>(cold.wireBytes + warm.wireBytes) / (2 * n);
  res.verified = cold.verified && warm.verified;

  double zs = 0;
  res.zstdLdmReduction =
      1.0 - static_cast<double>(zstdLdmSize(data, config.zstdOnlyLevel, &zs)) / n;
  res.zstdLdmMBps = mbps(data.size(), zs);
  Bytes twice = data;
  twice.insert(twice.end(), data.begin(), data.end());
  res.zstdLdmTwoPassReduction =
      1.0 - static_cast<double>(zstdLdmSize(twice, config.zstdOnlyLevel, nullptr)) / (2 * n);

  char buf[1024];
  std::snprintf(buf, sizeof(buf),
                "{\"original_bytes\":%zu,\"zstd_level\":%d,\"verified\":%s,"
                "\"cold\":{\"encode_mbps\":%.1f,\"decode_mbps\":%.1f,\"roundtrip_mbps\":%.1f,"
                "\"reduction\":%.4f},"
                "\"warm\":{\"encode_mbps\":%.1f,\"decode_mbps\":%.1f,\"roundtrip_mbps\":%.1f,"
                "\"reduction\":%.4f},"
                "\"two_pass_reduction\":%.4f,"
                "\"zstd_ldm\":{\"level\":%d,\"reduction\":%.4f,\"two_pass_reduction\":%.4f,"
                "\"compress_mbps\":%.1f}}",
                res.originalBytes, config.dre.zstdLevel, res.verified ? "true" : "false",
                res.coldEncodeMBps, res.coldDecodeMBps, res.coldRoundTripMBps, res.coldReduction,
                res.warmEncodeMBps, res.warmDecodeMBps, res.warmRoundTripMBps, res.warmReduction,
                res.twoPassReduction, config.zstdOnlyLevel, res.zstdLdmReduction,
                res.zstdLdmTwoPassReduction, res.zstdLdmMBps);
  res.json = buf;
  return res;
}

}  // namespace bh::dre
