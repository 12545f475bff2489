#pragma once

// RopGetReceiveFolder (0x27, MS-OXCROPS 2.2.3.2): which folder receives messages of a
// MessageClass (null-terminated ASCII); the response names the folder and the class that
// matched.

#include <string>

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

struct RopGetReceiveFolderRequest : RopRequestHeader {
  static constexpr RopId kRopId = RopId::RopGetReceiveFolder;
  std::string messageClass;
  bool operator==(const RopGetReceiveFolderRequest&) const = default;
};

struct RopGetReceiveFolderResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopGetReceiveFolder;
  uint64_t folderId = 0;
  std::string explicitMessageClass;
  bool operator==(const RopGetReceiveFolderResponse&) const = default;
};

bool decode(ByteReader& r, RopGetReceiveFolderRequest& x);
void encode(ByteWriter& w, const RopGetReceiveFolderRequest& x);
bool decode(ByteReader& r, RopGetReceiveFolderResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopGetReceiveFolderResponse& x);

}  // namespace bh::mapi::rop
