#pragma once

// The few NDR (C706 chapter 14) shapes the EMSMDB stubs use, little-endian NDR transfer syntax,
// alignment measured from the start of the stub (the DCE/RPC layer hands us an 8-aligned stub).
// Every count is checked against a caller's cap before any byte is copied.

#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"

namespace bh::mapi::emsmdb::ndr {

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

/// [size_is(n)] unsigned char[]: MaxCount u32 then n bytes. Fails when MaxCount > cap.
bool readConformantBytes(ByteReader& r, Bytes& out, uint32_t cap, bool& bad);
void writeConformantBytes(ByteWriter& w, ByteSpan b);

/// [size_is(x), length_is(y)] unsigned char[]: MaxCount, Offset, ActualCount, ActualCount bytes.
/// Fails when ActualCount > MaxCount, Offset != 0 or MaxCount > cap.
bool readVaryingBytes(ByteReader& r, VaryingHeader& header, Bytes& out, uint32_t cap, bool& bad);
void writeVaryingBytes(ByteWriter& w, const VaryingHeader& header, ByteSpan b);

}  // namespace bh::mapi::emsmdb::ndr
