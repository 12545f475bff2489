#include "dre/chunker.h"

#include <array>
#include <bit>

namespace bh::dre {
namespace {

// Gear table: 256 fixed pseudo-random 64-bit words (splitmix64 from a fixed seed), so both the
// encoder and the golden-vector generator cut at the same places on every build.
constexpr std::array<uint64_t, 256> makeGear() {
  std::array<uint64_t, 256> g{};
  uint64_t x = 0x42524447454844ull;  // "BRDGEHD"
  for (auto& v : g) {
    x += 0x9E3779B97F4A7C15ull;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    v = z ^ (z >> 31);
  }
  return g;
}

constexpr std::array<uint64_t, 256> kGear = makeGear();

// The gear hash shifts left, so bit k depends on the last k+1 bytes: masks take the top bits
// to look at a 48+ byte window.
constexpr uint64_t topBits(unsigned n) {
  return n == 0 ? 0 : ~uint64_t{0} << (64 - n);
}

}  // namespace

std::string ChunkerConfig::validate() const {
  if (minSize < 64 || !(minSize < avgSize) || !(avgSize < maxSize)) {
    return "chunker sizes must satisfy 64 <= min < avg < max";
  }
  if (!std::has_single_bit(avgSize) || avgSize < 256) {
    return "chunker avgSize must be a power of two >= 256";
  }
  if (maxSize > (16u << 20)) {
    return "chunker maxSize must be <= 16 MiB";
  }
  return {};
}

Chunker::Chunker(const ChunkerConfig& config) : config_(config) {
  const unsigned bits = static_cast<unsigned>(std::countr_zero(config.avgSize));
  // Normalization level 2 (FastCDC paper): avg bits +2 before avgSize, -2 after.
  maskSmall_ = topBits(bits + 2);
  maskLarge_ = topBits(bits > 2 ? bits - 2 : 1);
}

size_t Chunker::findCut(ByteSpan data) const {
  const size_t n = data.size();
  const size_t minSize = config_.minSize;
  if (n <= minSize) {
    return 0;
  }
  const size_t maxEnd = n < config_.maxSize ? n : config_.maxSize;
  const size_t normalEnd = config_.avgSize < maxEnd ? config_.avgSize : maxEnd;
  const uint8_t* p = data.data();
  uint64_t h = 0;
  size_t i = minSize;
  for (; i < normalEnd; ++i) {
    h = (h << 1) + kGear[p[i]];
    if ((h & maskSmall_) == 0) {
      return i + 1;
    }
  }
  for (; i < maxEnd; ++i) {
    h = (h << 1) + kGear[p[i]];
    if ((h & maskLarge_) == 0) {
      return i + 1;
    }
  }
  return n >= config_.maxSize ? config_.maxSize : 0;
}

}  // namespace bh::dre
