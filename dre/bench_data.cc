#include "dre/bench_data.h"

#include <cstdio>
#include <cstring>
#include <random>

namespace bh::dre {
namespace {

void appendText(Bytes& out, size_t n, std::mt19937_64& rng) {
  static const char* kWords[] = {
      "Subject:", "Re:",      "quarterly", "report",   "the",      "meeting", "branch",
      "office",   "invoice",  "please",    "find",     "attached", "regards", "mailbox",
      "folder",   "Exchange", "server",    "of",       "and",      "to",      "budget",
      "forecast", "customer", "order",     "shipment", "status",   "pending"};
  const size_t end = out.size() + n;
  char line[160];
  while (out.size() < end) {
    int len =
        std::snprintf(line, sizeof(line), "2026-11-%02u %02u:%02u:%02u id=%06u ",
                      static_cast<unsigned>(rng() % 28 + 1), static_cast<unsigned>(rng() % 24),
                      static_cast<unsigned>(rng() % 60), static_cast<unsigned>(rng() % 60),
                      static_cast<unsigned>(rng() % 1000000));
    out.insert(out.end(), line, line + len);
    const int words = 6 + static_cast<int>(rng() % 10);
    for (int w = 0; w < words; ++w) {
      const char* word = kWords[rng() % (sizeof(kWords) / sizeof(kWords[0]))];
      out.insert(out.end(), word, word + std::strlen(word));
      out.push_back(' ');
    }
    out.push_back('\r');
    out.push_back('\n');
  }
  out.resize(end);
}

void appendRecords(Bytes& out, size_t n, std::mt19937_64& rng) {
  const size_t end = out.size() + n;
  uint32_t counter = static_cast<uint32_t>(rng());
  while (out.size() < end) {
    uint8_t rec[64] = {};
    ++counter;
    std::memcpy(rec, &counter, 4);
    rec[4] = 0x01;
    rec[5] = static_cast<uint8_t>(rng() % 4);
    uint64_t field = rng() & 0xFFFF;
    std::memcpy(rec + 8, &field, 8);
    std::memcpy(rec + 32, "PR_BODY_HTML\0\0\0\0", 16);
    out.insert(out.end(), rec, rec + sizeof(rec));
  }
  out.resize(end);
}

void appendRandom(Bytes& out, size_t n, std::mt19937_64& rng) {
  const size_t start = out.size();
  out.resize(start + n);
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    std::memcpy(out.data() + start + i, &v, n - i < 8 ? n - i : 8);
  }
}

}  // namespace

Bytes generateBenchData(size_t bytes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes out;
  out.reserve(bytes + (1 << 20));
  while (out.size() < bytes) {
    const size_t piece = 16384 + rng() % (256 * 1024);
    const unsigned kind = static_cast<unsigned>(rng() % 10);
    if (kind < 5) {
      appendText(out, piece, rng);
    } else if (kind < 7) {
      appendRecords(out, piece, rng);
    } else if (kind < 9) {
      appendRandom(out, piece, rng);
    } else if (out.size() > piece) {
      // Repeat an earlier stretch (same attachment forwarded, same file saved twice).
      const size_t from = rng() % (out.size() - piece);
      out.insert(out.end(), out.begin() + static_cast<ptrdiff_t>(from),
                 out.begin() + static_cast<ptrdiff_t>(from + piece));
    }
  }
  out.resize(bytes);
  return out;
}

}  // namespace bh::dre
