#include "common/utf16.h"

namespace bh {

namespace {

void appendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

void appendUnit(uint16_t u, Bytes& out) {
  out.push_back(static_cast<uint8_t>(u));
  out.push_back(static_cast<uint8_t>(u >> 8));
}

}  // namespace

bool utf16leToUtf8(ByteSpan in, std::string& out) {
  out.clear();
  if (in.size() % 2 != 0) {
    return false;
  }
  for (size_t i = 0; i < in.size(); i += 2) {
    uint32_t u = static_cast<uint32_t>(in[i]) | static_cast<uint32_t>(in[i + 1]) << 8;
    if (u >= 0xD800 && u < 0xDC00) {
      if (i + 3 >= in.size()) {
        return false;
      }
      uint32_t lo = static_cast<uint32_t>(in[i + 2]) | static_cast<uint32_t>(in[i + 3]) << 8;
      if (lo < 0xDC00 || lo >= 0xE000) {
        return false;
      }
      u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
      i += 2;
    } else if (u >= 0xDC00 && u < 0xE000) {
      return false;
    }
    appendUtf8(u, out);
  }
  return true;
}

bool utf8ToUtf16le(const std::string& in, Bytes& out) {
  out.clear();
  for (size_t i = 0; i < in.size();) {
    uint8_t c = static_cast<uint8_t>(in[i]);
    uint32_t cp = 0;
    size_t n = 0;
    if (c < 0x80) {
      cp = c, n = 1;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F, n = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F, n = 3;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07, n = 4;
    } else {
      return false;
    }
    if (i + n > in.size()) {
      return false;
    }
    for (size_t k = 1; k < n; ++k) {
      uint8_t cc = static_cast<uint8_t>(in[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) {
      return false;  // overlong, out of range, or a surrogate
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      appendUnit(static_cast<uint16_t>(0xD800 + (cp >> 10)), out);
      appendUnit(static_cast<uint16_t>(0xDC00 + (cp & 0x3FF)), out);
    } else {
      appendUnit(static_cast<uint16_t>(cp), out);
    }
    i += n;
  }
  return true;
}

}  // namespace bh
