#pragma once

// DRS_EXTENSIONS (MS-DRSR 5.38): the capabilities client and DC exchange in IDL_DRSBind, an
// opaque byte array (cb, rgb[cb]) whose content is DRS_EXTENSIONS_INT (5.39). Its length says
// how many of DRS_EXTENSIONS_INT's fields are present (older DCs send 24 or 28 bytes); a field
// beyond cb reads as zero.

#include <cstdint>
#include <optional>

#include "common/bytes.h"
#include "mapi/dcerpc/uuid.h"

namespace bh::mapi::drsuapi {

struct DrsExtensions {
  Bytes rgb;  ///< cb is its size
  bool operator==(const DrsExtensions&) const = default;
};

/// DRS_EXTENSIONS_INT (5.39), the fields in wire order.
struct DrsExtensionsInt {
  uint32_t dwFlags = 0;  ///< ext::k* bits
  dcerpc::Uuid siteObjGuid{};
  uint32_t pid = 0;
  uint32_t dwReplEpoch = 0;
  uint32_t dwFlagsExt = 0;
  dcerpc::Uuid configObjGuid{};
  uint32_t dwExtCaps = 0;

  /// The full structure is 52 bytes (cb 52); Windows clients send 48 (no dwExtCaps) or 52.
  static constexpr size_t kFullSize = 52;
  /// Reads what rgb holds; fields past its end stay zero. Bytes past 52 are ignored.
  static DrsExtensionsInt parse(ByteSpan rgb);
  /// The first `cb` bytes (at most kFullSize) of the structure.
  DrsExtensions serialize(size_t cb = kFullSize) const;
  bool operator==(const DrsExtensionsInt&) const = default;
};

}  // namespace bh::mapi::drsuapi
