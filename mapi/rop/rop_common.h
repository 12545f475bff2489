#pragma once

// Pieces every ROP codec shares: the response header (MS-OXCROPS 2.2.1: RopId, a handle index,
// ReturnValue), the response decoding context, and readers for the small field shapes
// (null-terminated strings, PropertyTag arrays). All reads stay inside the RopsList region the
// buffer codec hands over; any failure there is a malformed buffer.

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace bh::mapi::rop {

/// Largest element count any ROP field may announce (a RopsList is at most 32 KiB anyway).
constexpr size_t kMaxFieldCount = 0x8000;

/// Fields common to every response but RopBufferTooSmall. On ReturnValue != 0 most responses
/// carry nothing else (MS-OXCROPS 2.2.1, "error response").
struct RopResponseHeader {
  uint8_t handleIndex = 0;  ///< InputHandleIndex or OutputHandleIndex, echoing the request
  uint32_t returnValue = 0;
  bool operator==(const RopResponseHeader&) const = default;
};

void readResponseHeader(ByteReader& r, RopResponseHeader& h);
void writeResponseHeader(ByteWriter& w, const RopResponseHeader& h);

/// What a response decoder cannot know from the response bytes alone: the property tags of a
/// RopGetPropertiesSpecific and the columns of a table (RopSetColumns), keyed by the request's
/// InputHandleIndex. Without them the row bytes are kept opaque.
struct ResponseContext {
  std::map<uint8_t, std::vector<uint32_t>> propertyTags;
  std::map<uint8_t, std::vector<uint32_t>> columns;
};

/// A null-terminated 8-bit string; `out` excludes the terminator. Fails if no NUL remains.
bool readString8(ByteReader& r, std::string& out);
void writeString8(ByteWriter& w, const std::string& s);

/// Count (u16) then that many 32-bit PropertyTags (MS-OXCDATA 2.9).
bool readPropertyTags(ByteReader& r, std::vector<uint32_t>& tags);
void writePropertyTags(ByteWriter& w, const std::vector<uint32_t>& tags);

/// Fixed-size byte array helpers (GUIDs).
template <size_t N>
bool readArray(ByteReader& r, std::array<uint8_t, N>& a) {
  ByteSpan b = r.take(N);
  if (!r.ok()) {
    return false;
  }
  std::copy(b.begin(), b.end(), a.begin());
  return true;
}

}  // namespace bh::mapi::rop

namespace bh::mapi::rop {

/// LogonId and InputHandleIndex, which every request but RopLogon starts with (after RopId).
struct RopRequestHeader {
  uint8_t logonId = 0;
  uint8_t inputHandleIndex = 0;
  bool operator==(const RopRequestHeader&) const = default;
};

inline void readRequestHeader(ByteReader& r, RopRequestHeader& h) {
  h.logonId = r.u8();
  h.inputHandleIndex = r.u8();
}

inline void writeRequestHeader(ByteWriter& w, const RopRequestHeader& h) {
  w.u8(h.logonId);
  w.u8(h.inputHandleIndex);
}

}  // namespace bh::mapi::rop
