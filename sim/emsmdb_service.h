#pragma once

// exchange-sim's EMSMDB server (MS-OXCRPC 3.1.4): sessions made by EcDoConnectEx, ROP buffers
// executed by EcDoRpcExt2 against the Mailbox (MS-OXCROPS 3.2.5: the server object handle
// table, one response per request ROP), EcDoDisconnect. Pure: no sockets; the RPC layer calls
// call() with whole request stubs.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "common/bytes.h"
#include "sim/fast_transfer.h"
#include "sim/mailbox.h"
#include "sim/oxcrpc.h"

namespace bh::sim {

struct EmsmdbLimits {
  size_t maxSessions = 1024;
  size_t maxObjectsPerSession = 4096;
  /// ReadStream answers at most this much per call (seed: "ReadStream buffers up to 31744").
  uint32_t maxReadStream = 31744;
  /// FastTransferSourceGetBuffer answers about this much (seed: "Synch GetBuffer 31680").
  uint32_t maxGetBuffer = 31680;
  /// Largest value of one ICS state property a client may upload (sim/ics_state_upload.h).
  size_t maxIcsStateBytes = 1 << 20;
};

/// nca_s_fault_* / EMSMDB errors the RPC layer turns into a fault PDU.
inline constexpr uint32_t kFaultOpRangeError = 0x1c010002;     // nca_s_op_rng_error (C706)
inline constexpr uint32_t kFaultNdr = 0x000006f7;              // RPC_X_BAD_STUB_DATA
inline constexpr uint32_t kFaultContextMismatch = 0x1c00001a;  // nca_s_fault_context_mismatch

class EmsmdbService {
 public:
  EmsmdbService(Mailbox& mailbox, EmsmdbLimits limits = {});
  ~EmsmdbService();

  /// One EMSMDB call. @return the response stub, or nullopt with `fault` set.
  std::optional<Bytes> call(uint16_t opnum, ByteSpan stub, uint32_t& fault);
  size_t sessionCount();

  struct Session;

 private:
  std::optional<Bytes> connectEx(ByteSpan stub, uint32_t& fault);
  std::optional<Bytes> rpcExt2(ByteSpan stub, uint32_t& fault);
  std::optional<Bytes> disconnect(ByteSpan stub, uint32_t& fault);

  Mailbox& mailbox_;
  EmsmdbLimits limits_;
  std::mutex mutex_;
  std::map<oxcrpc::Cxh, std::unique_ptr<Session>> sessions_;
  uint64_t nextSession_ = 1;
};

/// Executes one ROP request buffer (RopSize, RopsList, ServerObjectHandleTable; MS-OXCROPS
/// 2.2.1) in `session`. @return the response buffer, or nullopt if the buffer is malformed.
std::optional<Bytes> processRopBuffer(EmsmdbService::Session& session, Mailbox& mailbox,
                                      const EmsmdbLimits& limits, ByteSpan request);

}  // namespace bh::sim
