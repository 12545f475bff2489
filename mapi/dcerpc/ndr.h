#pragma once

// The NDR shapes (C706 chapter 14) the stubs of this tree use (EMSMDB, DRSUAPI), little-endian
// NDR20 transfer syntax, alignment measured from the start of the stub (the DCE/RPC layer hands
// us an 8-aligned stub). The one NDR layer: every stub codec reads and writes through these.
//
// Conventions: readers take the stub's ByteReader and a `bad` flag. Running out of bytes leaves
// the reader failed (!ok()); a failed check inside the bytes (a count over its cap, counts that
// disagree) also sets `bad`, so a caller can tell "truncated" from "malformed". Every count is
// checked against the caller's cap, and against the bytes left, before anything is allocated
// or copied.

#include <array>
#include <cstdint>
#include <string>

#include "common/bytes.h"

namespace bh::mapi::dcerpc::ndr {

/// A conformant varying array header (MaxCount, Offset, ActualCount; C706 14.3.3.4). Kept whole so
/// that a re-encode is byte-identical even when MaxCount != ActualCount.
struct VaryingHeader {
  uint32_t maxCount = 0;
  uint32_t offset = 0;
  uint32_t actualCount = 0;
  bool operator==(const VaryingHeader&) const = default;
};

/// An [string] unsigned char* (conformant varying, NUL included in the counts). `text` holds
/// the characters without the terminating NUL; `header` the counts as they were on the wire.
struct AnsiString {
  VaryingHeader header;
  std::string text;
  bool operator==(const AnsiString&) const = default;

  /// Builds the canonical form: MaxCount == ActualCount == size + 1, Offset 0.
  static AnsiString of(std::string s);
};

/// Reads an [string] char array; fails on a count above `cap`, a non-zero offset, an actual count
/// above MaxCount, a missing NUL terminator or an embedded NUL.
/// On a failed check (as opposed to running out of bytes) it also sets `bad`.
bool readAnsiString(ByteReader& r, AnsiString& out, uint32_t cap, bool& bad);
void writeAnsiString(ByteWriter& w, const AnsiString& s);

/// An [string] wchar_t* (conformant varying array of UTF-16 code units, NUL included in the
/// counts, C706 14.3.4.2): `text` without the terminator. Fails (bad) on more than `cap` units,
/// a non-zero offset, ActualCount above MaxCount or zero, a missing terminator or an embedded
/// NUL. The canonical form written back is MaxCount == ActualCount == size + 1, Offset 0.
bool readWideString(ByteReader& r, std::u16string& text, uint32_t cap, bool& bad);
void writeWideString(ByteWriter& w, const std::u16string& text);
/// UTF-16 units to UTF-8 (common/utf16); false on a lone surrogate.
bool wideToUtf8(const std::u16string& in, std::string& out);
bool utf8ToWide(const std::string& in, std::u16string& out);

/// [size_is(n)] unsigned char[]: MaxCount u32 then n bytes. Fails when MaxCount > cap.
bool readConformantBytes(ByteReader& r, Bytes& out, uint32_t cap, bool& bad);
void writeConformantBytes(ByteWriter& w, ByteSpan b);

/// [size_is(x), length_is(y)] unsigned char[]: MaxCount, Offset, ActualCount, ActualCount bytes.
/// Fails when ActualCount > MaxCount, Offset != 0 or MaxCount > cap.
bool readVaryingBytes(ByteReader& r, VaryingHeader& header, Bytes& out, uint32_t cap, bool& bad);
void writeVaryingBytes(ByteWriter& w, const VaryingHeader& header, ByteSpan b);

/// A conformance (MaxCount, or any u32 count) aligned to 4, checked against `cap` and against
/// the bytes left: `n` elements of at least `minElementBytes` each must still fit in the stub,
/// so a caller may size a container by it. Sets `bad` on either failure.
bool readCount(ByteReader& r, uint32_t& n, uint32_t cap, size_t minElementBytes, bool& bad);

/// The pointer forms of NDR (C706 14.3.10-14.3.12): a unique or embedded pointer is a 4-byte
/// referent id, 0 for NULL, aligned to 4; its pointee follows the top-level parameter (or, for
/// an embedded pointer, the outermost construct's scalars), in the order the ids appeared.
/// Returns whether the pointer is non-NULL.
bool readPointer(ByteReader& r);

/// Hands out referent ids as MIDL and Samba number unique pointers: 0x00020000, then +4 per
/// non-NULL pointer, in the order they are written (an embedded [ref] pointer takes one too, as
/// MIDL does; Samba writes 0xAEF1AEF1 there). One per stub.
class Referents {
 public:
  /// Writes the referent id of a pointer (the next id, or 0 for NULL).
  void write(ByteWriter& w, bool present);

 private:
  uint32_t next_ = 0x00020000;
};

/// An RPC context handle (MS-RPCE 2.2.5.3.4.1 / C706 ndr_context_handle): a u32 of attributes
/// and a 16-byte UUID, carried as 20 opaque bytes, aligned to 4.
struct ContextHandle {
  std::array<uint8_t, 20> bytes{};

  /// A handle of all zeroes is the NULL handle: the server destroyed (or never made) it.
  bool isNull() const;
  void read(ByteReader& r);
  void write(ByteWriter& w) const;
  bool operator==(const ContextHandle&) const = default;
};

}  // namespace bh::mapi::dcerpc::ndr
