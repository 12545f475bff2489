#pragma once

// The few DER rules Kerberos messages need (X.690 8.1, 10.1; RFC 4120 5.2 uses DER): one
// tag-length-value at a time over a byte span, definite lengths only, lengths checked against
// what is left before anything is read. Pure: no allocation, no exception; a malformed or short
// element sets the reader's sticky failure. Whether a message is all here is decided once, from
// the outermost element's header (firstElementSize), before any of it is read.

#include <cstdint>

#include "common/bytes.h"

namespace bh::secure::emapi {

/// Tags as the first identifier octet (single-octet tags cover everything in RFC 4120/4178).
namespace der {
inline constexpr uint8_t kBoolean = 0x01;
inline constexpr uint8_t kInteger = 0x02;
inline constexpr uint8_t kBitString = 0x03;
inline constexpr uint8_t kOctetString = 0x04;
inline constexpr uint8_t kEnumerated = 0x0a;
inline constexpr uint8_t kOid = 0x06;
inline constexpr uint8_t kGeneralString = 0x1b;
inline constexpr uint8_t kGeneralizedTime = 0x18;
inline constexpr uint8_t kSequence = 0x30;
/// [n] EXPLICIT, constructed, context class.
constexpr uint8_t context(uint8_t n) {
  return static_cast<uint8_t>(0xa0 | n);
}
/// [APPLICATION n], constructed.
constexpr uint8_t application(uint8_t n) {
  return static_cast<uint8_t>(0x60 | n);
}
}  // namespace der

class DerReader {
 public:
  explicit DerReader(ByteSpan data) : data_(data) {}

  bool ok() const { return ok_; }
  bool atEnd() const { return !ok_ || pos_ == data_.size(); }
  size_t offset() const { return pos_; }
  /// The total size of the element starting at offset 0, once its header is readable (0 before).
  size_t firstElementSize() const;

  /// The next element's tag, without consuming it (0 at the end or after a failure).
  uint8_t peekTag() const;
  /// Reads an element of tag `tag` and returns its contents; fails on another tag.
  ByteSpan expect(uint8_t tag);
  /// If the next element has tag `tag`, reads it into `contents` and returns true.
  bool optional(uint8_t tag, ByteSpan& contents);
  /// Skips one element of any tag.
  void skip();

  /// INTEGER contents as a signed 64-bit value (at most 8 octets, minimal encoding not required:
  /// MIT and Heimdal both send 4-octet sequence numbers with a leading zero at times).
  static bool integer(ByteSpan contents, int64_t& out);

  void fail() { ok_ = false; }

 private:
  /// Reads tag and length at pos_; returns the contents' offset and size.
  bool header(size_t at, uint8_t& tag, size_t& contentAt, size_t& contentLen) const;

  ByteSpan data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

/// `[tag] EXPLICIT INTEGER` helper: reads the wrapper, then the INTEGER inside.
bool readExplicitInteger(DerReader& r, uint8_t tag, int64_t& out);
/// `[tag] EXPLICIT OCTET STRING` helper.
bool readExplicitOctets(DerReader& r, uint8_t tag, ByteSpan& out);

}  // namespace bh::secure::emapi
