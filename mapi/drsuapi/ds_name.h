#pragma once

// DSNAME (MS-DRSR 5.50): an object's identity, any of GUID, SID and distinguished name. On the
// wire a conformant structure: the StringName array's MaxCount (NameLen + 1) comes first, then
// structLen, SidLen, Guid, Sid (NT4SID, 28 bytes), NameLen and the UTF-16 name with its NUL.

#include <array>
#include <cstdint>
#include <string>

#include "common/bytes.h"
#include "mapi/dcerpc/uuid.h"

namespace bh::mapi::drsuapi {

struct DsName {
  uint32_t structLen = 0;  ///< as on the wire; of() computes DSNameSizeFromLen(NameLen)
  uint32_t sidLen = 0;     ///< bytes of sid in use, at most 28
  dcerpc::Uuid guid;
  std::array<uint8_t, 28> sid{};
  std::u16string stringName;  ///< without the terminating NUL (NameLen units)

  /// A DSNAME naming an object by GUID (and optionally DN and SID, at most 28 bytes), with
  /// structLen = offsetof(DSNAME, StringName) + 2 * (NameLen + 1) as 5.50's DSNameSizeFromLen.
  static DsName of(const dcerpc::Uuid& guid, const std::u16string& dn = {}, ByteSpan sid = {});
  ByteSpan sidBytes() const { return ByteSpan(sid.data(), sidLen <= 28 ? sidLen : 28); }
  /// The DN as UTF-8 ("" when it is not valid UTF-16).
  std::string dnUtf8() const;
  bool operator==(const DsName&) const = default;
};

}  // namespace bh::mapi::drsuapi
