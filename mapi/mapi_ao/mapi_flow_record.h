#pragma once

// The MAPI AO's record of one connection, hung on the box's flow record
// (accel::FlowRecord::accelerator): `show statistics connection ... detail` prints it as the
// seed's "MAPI : <id>" block, the JSON carries it under "mapi".

#include <cstdint>
#include <memory>

#include "accel/flow_record.h"
#include "mapi/mapi_ao/mapi_counters.h"

namespace bh::mapi::mapi_ao {

struct MapiFlowRecord : accel::AcceleratorRecord {
  MapiConnectionStats stats;
  /// Calls answered from read-ahead data at the edge, calls that went to the server,
  /// read-aheads started (core).
  uint64_t localResponses = 0;
  uint64_t remoteResponses = 0;
  uint64_t readAheads = 0;
  /// A MAPI half is attached to the flow (else it was handed to the generic AO at the start).
  bool accelerated = false;
  /// Edge: the flow holds the MAPI AO's own connection resource (MapiAccelerator::admit), as
  /// the client/server pair `pair`.
  bool admitted = false;
  uint64_t pair = 0;
  uint8_t grant = 0;  ///< accel::Admission::Grant

  const char* jsonKey() const override { return "mapi"; }
  nlohmann::json toJson() const override { return stats.toJson(); }
  std::string detailText(uint64_t connId, uint64_t lanBytesRead,
                         uint64_t lanBytesWritten) const override {
    return mapiConnectionDetailText(connId, stats, lanBytesRead, lanBytesWritten);
  }
};

/// The flow's MAPI record, made (and hung on the flow) if it has none yet.
inline MapiFlowRecord& mapiRecordOf(accel::FlowRecord& flow) {
  if (auto* r = dynamic_cast<MapiFlowRecord*>(flow.accelerator.get())) {
    return *r;
  }
  auto r = std::make_shared<MapiFlowRecord>();
  flow.accelerator = r;
  return *r;
}

/// The flow's MAPI record, or nullptr.
inline MapiFlowRecord* findMapiRecord(const accel::FlowRecord& flow) {
  return dynamic_cast<MapiFlowRecord*>(flow.accelerator.get());
}

}  // namespace bh::mapi::mapi_ao
