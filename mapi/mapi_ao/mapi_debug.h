#pragma once

// The categories of `debug accelerator mapi` (the seed's list; IO, shell and Utilities name
// WAAS internals this AO does not have). Each category is a bit; a connection's debug mask is
// the categories on for it (`debug connection` narrows them to a host). Lines describe
// structure only - PDU types, call ids, flags, sizes, ROP names, handles - never payload bytes,
// so no mail content, credential or key reaches a log.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bh::mapi::mapi_ao {

enum class MapiDebug : uint32_t {
  CommonFlow = 1u << 0,   ///< the AO's decisions: read-ahead, write-behind, waits, hand-offs
  DcerpcLayer = 1u << 1,  ///< every PDU: type, call id, flags, lengths, opnum
  EmsmdbLayer = 1u << 2,  ///< EcDoRpcExt2 calls and answers: flags, sizes, RPC_HEADER_EXT
  RopLayer = 1u << 3,     ///< the ROPs of each call and answer: names, handles, return values
  RopParser = 1u << 4,    ///< why a ROP buffer did not decode
  RpcParser = 1u << 5,    ///< why a DCE/RPC PDU or EMSMDB stub did not decode
  Transport = 1u << 6,    ///< records between the edge and core halves
};

inline constexpr uint32_t kMapiDebugAll = (1u << 7) - 1;

/// "all" or a seed category name (any case: "ROP-layer", "rop-layer"); nullopt if unknown.
std::optional<uint32_t> parseMapiDebugCategory(std::string_view name);
/// The seed's names of the categories in `mask`, in the seed's order.
std::vector<std::string> mapiDebugCategoryNames(uint32_t mask);
/// The seed's name of one category.
const char* mapiDebugName(MapiDebug category);

}  // namespace bh::mapi::mapi_ao
