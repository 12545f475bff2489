#pragma once

// XorMagic obfuscation (MS-OXCRPC 3.1.4.1.1.3): every payload byte is XORed with 0xA5. Its own
// inverse; applied after compression on the way out and before decompression on the way in.

#include <cstdint>
#include <span>

namespace bh::mapi::emsmdb {

constexpr uint8_t kXorMagic = 0xa5;

inline void xorMagic(std::span<uint8_t> data) {
  for (uint8_t& b : data) {
    b ^= kXorMagic;
  }
}

}  // namespace bh::mapi::emsmdb
