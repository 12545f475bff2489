#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "mapi/epm/tower.h"

namespace bh::mapi::epm {

/// ept_map is opnum 3 of the endpoint mapper interface (C706 Appendix O ept.idl;
/// MS-RPCE 2.2.1.2.5).
inline constexpr uint16_t kEptMapOpnum = 3;

/// ept_lookup_handle_t on the wire: an NDR context handle (attributes + uuid, MS-RPCE 2.2.1.1.4).
struct ContextHandle {
  uint32_t attributes = 0;
  Uuid uuid;
  bool operator==(const ContextHandle&) const = default;
};

/// A twr_p_t: unique pointer to a twr_t. referentId 0 is the null pointer.
struct TowerPointer {
  uint32_t referentId = 0;
  std::optional<Tower> tower;  ///< present iff referentId != 0
  bool operator==(const TowerPointer&) const = default;
};

/// [in] side of ept_map: object, map_tower, entry_handle, max_towers.
struct EptMapRequest {
  uint32_t objectReferentId = 1;  ///< impacket and Windows use 1 and 2 for the two pointers
  std::optional<Uuid> object;
  TowerPointer mapTower{2, std::nullopt};
  ContextHandle entryHandle;
  uint32_t maxTowers = 1;
  bool operator==(const EptMapRequest&) const = default;
};

/// [out] side of ept_map: entry_handle, num_towers, towers[max_towers] (conformant varying,
/// length num_towers), status.
struct EptMapResponse {
  ContextHandle entryHandle;
  uint32_t maxCount = 0;             ///< the array's conformance (the request's max_towers)
  uint32_t offset = 0;               ///< the array's variance offset (0 from every known server)
  std::vector<TowerPointer> towers;  ///< num_towers == towers.size()
  uint32_t status = 0;
  uint32_t numTowers() const { return static_cast<uint32_t>(towers.size()); }
  bool operator==(const EptMapResponse&) const = default;
};

struct EpmLimits {
  size_t maxTowers = 500;        ///< ept.idl: [range(0,500)] max_towers
  size_t maxTowerLength = 4096;  ///< tower_octet_string bytes
  TowerLimits tower;
};

/// Decodes the NDR 2.0 request stub of ept_map in byte order `endian` (the PDU's drep).
/// @return Done(stub.size()) or Error (truncation, caps, trailing bytes).
ParseResult decodeEptMapRequest(ByteSpan stub, Endian endian, EptMapRequest& out,
                                const EpmLimits& limits = {});
/// Encodes the request stub; NDR alignment padding is zero. nullopt if a tower cannot encode.
std::optional<Bytes> encodeEptMapRequest(const EptMapRequest& request, Endian endian);

/// Decodes the NDR 2.0 response stub of ept_map.
ParseResult decodeEptMapResponse(ByteSpan stub, Endian endian, EptMapResponse& out,
                                 const EpmLimits& limits = {});
/// Encodes the response stub. nullopt if offset + towers exceeds maxCount or a tower cannot
/// encode.
std::optional<Bytes> encodeEptMapResponse(const EptMapResponse& response, Endian endian);

/// The endpoint the server answered with: the first tower naming a TCP port and IPv4 address,
/// when status is 0.
std::optional<Endpoint> mappedEndpoint(const EptMapResponse& response);

}  // namespace bh::mapi::epm
