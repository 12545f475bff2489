#include "mapi/emsmdb/lz77.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <vector>

namespace bh::mapi::emsmdb::lz77 {

namespace {

constexpr size_t kHashBits = 14;
constexpr size_t kChainDepth = 24;

uint32_t hash3(const uint8_t* p) {
  uint32_t v = static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
               (static_cast<uint32_t>(p[2]) << 16);
  return (v * 2654435761u) >> (32 - kHashBits);
}

/// How many bytes from `a` and `b` agree, at most `limit`: eight at a time, then the first
/// differing byte from the XOR's lowest set bit (little-endian loads). The same length as a
/// byte-wise loop, so the compressor's choices (and its output) are unchanged.
size_t matchLength(const uint8_t* a, const uint8_t* b, size_t limit) {
  size_t len = 0;
  while (limit - len >= 8) {
    uint64_t x = 0;
    uint64_t y = 0;
    std::memcpy(&x, a + len, 8);
    std::memcpy(&y, b + len, 8);
    if (x != y) {
      if constexpr (std::endian::native == std::endian::little) {
        return len + static_cast<size_t>(std::countr_zero(x ^ y)) / 8;
      } else {
        return len + static_cast<size_t>(std::countl_zero(x ^ y)) / 8;
      }
    }
    len += 8;
  }
  while (len < limit && a[len] == b[len]) {
    ++len;
  }
  return len;
}

class BitmaskWriter {
 public:
  explicit BitmaskWriter(Bytes& out) : out_(out) { reserve(); }

  void push(bool bit) {
    flags_ = (flags_ << 1) | (bit ? 1u : 0u);
    if (++count_ == 32) {
      flush(flags_);
      reserve();
    }
  }

  // The unused low bits of the last bitmask are 1s: a decoder that does not know the size stops
  // at a "match" with no input left (MS-XCA 2.3 ends its stream the same way).
  void finish() {
    uint64_t pad = (uint64_t{1} << (32 - count_)) - 1;
    flush(static_cast<uint32_t>((static_cast<uint64_t>(flags_) << (32 - count_)) | pad));
  }

 private:
  void reserve() {
    at_ = out_.size();
    out_.insert(out_.end(), 4, 0);
    flags_ = 0;
    count_ = 0;
  }
  void flush(uint32_t v) {
    for (int i = 0; i < 4; ++i) {
      out_[at_ + i] = static_cast<uint8_t>(v >> (8 * i));
    }
  }

  Bytes& out_;
  size_t at_ = 0;
  uint32_t flags_ = 0;
  unsigned count_ = 0;
};

}  // namespace

Bytes compress(ByteSpan in) {
  Bytes out;
  out.reserve(in.size() + in.size() / 8 + 8);
  BitmaskWriter bits(out);
  std::vector<int32_t> head(size_t{1} << kHashBits, -1);
  std::vector<int32_t> prev(in.size(), -1);
  size_t nibbleAt = SIZE_MAX;  // position of a length byte whose high nibble is still free

  auto insert = [&](size_t p) {
    if (p + kMinMatch <= in.size()) {
      uint32_t h = hash3(&in[p]);
      prev[p] = head[h];
      head[h] = static_cast<int32_t>(p);
    }
  };

  size_t pos = 0;
  while (pos < in.size()) {
    size_t bestLen = 0;
    size_t bestOff = 0;
    if (pos + kMinMatch <= in.size()) {
      size_t limit = std::min(in.size() - pos, kMaxMatch);
      int32_t cand = head[hash3(&in[pos])];
      for (size_t depth = 0; cand >= 0 && depth < kChainDepth; ++depth) {
        size_t c = static_cast<size_t>(cand);
        if (pos - c > kMaxOffset) {
          break;
        }
        // A candidate that differs at bestLen cannot be longer than the best so far (zlib's
        // test): skipped without changing what is chosen.
        if (bestLen > 0 && in[c + bestLen] != in[pos + bestLen]) {
          cand = prev[c];
          continue;
        }
        size_t len = matchLength(&in[c], &in[pos], limit);
        if (len > bestLen) {
          bestLen = len;
          bestOff = pos - c;
          if (len == limit) {
            break;
          }
        }
        cand = prev[c];
      }
    }
    if (bestLen < kMinMatch) {
      out.push_back(in[pos]);
      bits.push(false);  // after the item: a full bitmask reserves the next one behind it
      insert(pos);
      ++pos;
      continue;
    }
    size_t len = bestLen - kMinMatch;
    uint16_t offsetBits = static_cast<uint16_t>((bestOff - 1) << 3);
    if (len < 7) {
      out.push_back(static_cast<uint8_t>(offsetBits | len));
      out.push_back(static_cast<uint8_t>(offsetBits >> 8));
    } else {
      out.push_back(static_cast<uint8_t>(offsetBits | 7));
      out.push_back(static_cast<uint8_t>(offsetBits >> 8));
      len -= 7;
      uint8_t nibble = static_cast<uint8_t>(std::min<size_t>(len, 15));
      if (nibbleAt == SIZE_MAX) {
        nibbleAt = out.size();
        out.push_back(nibble);
      } else {
        out[nibbleAt] |= static_cast<uint8_t>(nibble << 4);
        nibbleAt = SIZE_MAX;
      }
      if (len >= 15) {
        len -= 15;
        if (len < 255) {
          out.push_back(static_cast<uint8_t>(len));
        } else {
          out.push_back(255);
          size_t full = bestLen - kMinMatch;  // the 16-bit escape holds length - 3
          out.push_back(static_cast<uint8_t>(full));
          out.push_back(static_cast<uint8_t>(full >> 8));
        }
      }
    }
    bits.push(true);
    for (size_t i = 0; i < bestLen; ++i) {
      insert(pos + i);
    }
    pos += bestLen;
  }
  bits.finish();
  return out;
}

ParseResult decompress(ByteSpan in, size_t expectedSize, Bytes& out) {
  // The output is sized once and written by index: byte-wise push_back was most of the cost of
  // opening a 31 KiB ReadStream answer (the core summarizes every read-ahead answer). On an
  // error `out` holds what was decoded before it, as before.
  out.resize(expectedSize);
  uint8_t* o = out.data();
  size_t at = 0;
  size_t pos = 0;
  uint32_t flags = 0;
  unsigned flagCount = 0;
  size_t nibbleAt = SIZE_MAX;
  auto fail = [&](const char* why) {
    out.resize(at);
    return ParseResult::fail(std::string("lz77: ") + why);
  };
  while (at < expectedSize) {
    if (flagCount == 0) {
      if (in.size() - pos < 4) {
        return fail("stream ends inside a bitmask");
      }
      flags = static_cast<uint32_t>(in[pos]) | (static_cast<uint32_t>(in[pos + 1]) << 8) |
              (static_cast<uint32_t>(in[pos + 2]) << 16) |
              (static_cast<uint32_t>(in[pos + 3]) << 24);
      pos += 4;
      flagCount = 32;
    }
    --flagCount;
    if (((flags >> flagCount) & 1) == 0) {
      if (pos >= in.size()) {
        return fail("stream ends before a literal");
      }
      o[at++] = in[pos++];
      continue;
    }
    if (in.size() - pos < 2) {
      return fail("stream ends inside metadata");
    }
    uint16_t meta = static_cast<uint16_t>(in[pos] | (in[pos + 1] << 8));
    pos += 2;
    size_t offset = (meta >> 3) + 1;
    size_t len = meta & 7;
    if (len == 7) {
      if (nibbleAt == SIZE_MAX) {
        if (pos >= in.size()) {
          return fail("stream ends inside a length");
        }
        nibbleAt = pos;
        len = in[pos++] & 0x0f;
      } else {
        len = in[nibbleAt] >> 4;
        nibbleAt = SIZE_MAX;
      }
      if (len == 15) {
        if (pos >= in.size()) {
          return fail("stream ends inside a length");
        }
        len = in[pos++];
        if (len == 255) {
          if (in.size() - pos < 2) {
            return fail("stream ends inside a length");
          }
          len = static_cast<size_t>(in[pos] | (in[pos + 1] << 8));
          pos += 2;
          if (len < 15 + 7) {
            return fail("16-bit length below its minimum");
          }
          len -= 15 + 7;
        }
        len += 15;
      }
      len += 7;
    }
    len += kMinMatch;
    if (offset > at) {
      return fail("match before the start of the output");
    }
    if (len > expectedSize - at) {
      return fail("match beyond SizeActual");
    }
    const uint8_t* from = o + (at - offset);
    if (offset >= len) {
      std::memcpy(o + at, from, len);
    } else {
      for (size_t i = 0; i < len; ++i) {
        o[at + i] = from[i];  // overlapping copies repeat the pattern, byte by byte
      }
    }
    at += len;
  }
  return ParseResult::done(pos);
}

}  // namespace bh::mapi::emsmdb::lz77
