#pragma once

// RopOpenFolder (0x02, MS-OXCROPS 2.2.4.1). A ghosted public folder's response lists the
// servers holding replicas (ServerCount null-terminated names, the first CheapServerCount
// of them cheapest).

#include <string>
#include <vector>

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopOpenFolderRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopOpenFolder;
  uint8_t outputHandleIndex = 0;
  uint64_t folderId = 0;
  uint8_t openModeFlags = 0;
  bool operator==(const RopOpenFolderRequest&) const = default;
};

struct RopOpenFolderResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopOpenFolder;
  uint8_t hasRules = 0;
  uint8_t isGhosted = 0;
  uint16_t cheapServerCount = 0;
  std::vector<std::string> servers;  ///< ServerCount (u16) names
  bool operator==(const RopOpenFolderResponse&) const = default;
};

bool decode(ByteReader& r, RopOpenFolderRequest& x);
void encode(ByteWriter& w, const RopOpenFolderRequest& x);
bool decode(ByteReader& r, RopOpenFolderResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopOpenFolderResponse& x);

}  // namespace bh::mapi::rop
