#pragma once

// Deterministic, realistic attachment content for the simulators. Both exchange-sim and
// outlook-sim compute it from (seed, size), so the client knows every byte it should read
// without the server telling it. Random access: each 4096-byte block is a pure function of the
// seed and its index, so a 50 MiB stream never has to be generated from its start.
//
// The mix approximates office documents: ~45 % text-like blocks (English-ish words, LZ
// compresses them about 3:1), ~35 % incompressible blocks (embedded images, zip parts) and
// ~20 % repeats of an earlier block (what DRE finds in real files).

#include <array>
#include <cstdint>
#include <string>

#include "common/bytes.h"

namespace bh::sim {

inline constexpr size_t kContentBlock = 4096;

/// Writes bytes [offset, offset + out.size()) of the content stream `seed`.
void fillContent(uint64_t seed, uint64_t offset, std::span<uint8_t> out);
/// The whole content stream of `size` bytes.
Bytes makeContent(uint64_t seed, size_t size);

/// SHA-256 (OpenSSL), incremental.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(ByteSpan data);
  std::array<uint8_t, 32> finish();

 private:
  void* ctx_;
};

std::array<uint8_t, 32> sha256(ByteSpan data);
/// SHA-256 of the content stream without holding it.
std::array<uint8_t, 32> contentSha256(uint64_t seed, uint64_t size);
std::string hexDigest(const std::array<uint8_t, 32>& d);

/// Parses "10MiB", "50MiB", "512KiB", "1048576", "2MB" into bytes; 0 on a bad string.
uint64_t parseSize(const std::string& text);

}  // namespace bh::sim
