#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace bh {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

enum class Endian { Little, Big };

/// Bounds-checked reader over a byte span. A read past the end sets a sticky failure flag and
/// returns zero; callers check ok() once after a group of reads (no exceptions on the data path).
class ByteReader {
 public:
  explicit ByteReader(ByteSpan data, Endian endian = Endian::Little)
      : data_(data), endian_(endian) {}

  void setEndian(Endian e) { endian_ = e; }
  Endian endian() const { return endian_; }
  bool ok() const { return ok_; }
  size_t offset() const { return pos_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }

  uint8_t u8() { return static_cast<uint8_t>(read(1)); }
  uint16_t u16() { return static_cast<uint16_t>(read(2)); }
  uint32_t u32() { return static_cast<uint32_t>(read(4)); }
  uint64_t u64() { return read(8); }
  uint16_t u16be() { return static_cast<uint16_t>(readAs(2, Endian::Big)); }
  uint32_t u32be() { return static_cast<uint32_t>(readAs(4, Endian::Big)); }

  /// Returns a view of the next n bytes, or an empty span (and failure) if fewer remain.
  ByteSpan take(size_t n) {
    if (!need(n)) {
      return {};
    }
    ByteSpan out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  void skip(size_t n) { (void)take(n); }
  /// Advances to the next multiple of `align` measured from the reader's start.
  void align(size_t a) {
    size_t pad = (a - pos_ % a) % a;
    skip(pad);
  }
  void fail() { ok_ = false; }

 private:
  bool need(size_t n) {
    if (!ok_ || data_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  uint64_t read(size_t n) { return readAs(n, endian_); }
  uint64_t readAs(size_t n, Endian e) {
    if (!need(n)) {
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      uint64_t b = data_[pos_ + i];
      v |= e == Endian::Little ? b << (8 * i) : b << (8 * (n - 1 - i));
    }
    pos_ += n;
    return v;
  }

  ByteSpan data_;
  size_t pos_ = 0;
  bool ok_ = true;
  Endian endian_;
};

/// Appending writer, the mirror of ByteReader.
class ByteWriter {
 public:
  explicit ByteWriter(Bytes& out, Endian endian = Endian::Little) : out_(out), endian_(endian) {}

  void setEndian(Endian e) { endian_ = e; }
  size_t size() const { return out_.size(); }
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { write(v, 2, endian_); }
  void u32(uint32_t v) { write(v, 4, endian_); }
  void u64(uint64_t v) { write(v, 8, endian_); }
  void u16be(uint16_t v) { write(v, 2, Endian::Big); }
  void u32be(uint32_t v) { write(v, 4, Endian::Big); }
  void bytes(ByteSpan b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void zeros(size_t n) { out_.insert(out_.end(), n, 0); }
  void align(size_t a) { zeros((a - out_.size() % a) % a); }
  /// Overwrites a 16/32-bit field already written at `at` (length back-patching).
  void patch16(size_t at, uint16_t v) { patch(at, v, 2); }
  void patch32(size_t at, uint32_t v) { patch(at, v, 4); }

 private:
  void write(uint64_t v, size_t n, Endian e) {
    for (size_t i = 0; i < n; ++i) {
      size_t shift = e == Endian::Little ? 8 * i : 8 * (n - 1 - i);
      out_.push_back(static_cast<uint8_t>(v >> shift));
    }
  }
  void patch(size_t at, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      size_t shift = endian_ == Endian::Little ? 8 * i : 8 * (n - 1 - i);
      out_[at + i] = static_cast<uint8_t>(v >> shift);
    }
  }

  Bytes& out_;
  Endian endian_;
};

/// Lower-case hex of a byte span (for test vectors and debug output of headers only).
std::string toHex(ByteSpan b);
/// Parses hex, ignoring whitespace; returns false on a bad digit or odd length.
bool fromHex(const std::string& hex, Bytes& out);

}  // namespace bh
