#pragma once

// What the MAPI AO needs to know of one EcDoRpcExt2 call (MS-OXCRPC 3.1.4.2): whether the
// request is a read-ahead candidate (a RopsList of exactly one RopReadStream or
// RopFastTransferSourceGetBuffer), which server objects it touches, and a key that is equal for
// two requests that ask the server the very same thing. Pure functions over stubs.

#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "mapi/mapi_ao/ao_record.h"

namespace bh::mapi::mapi_ao {

struct ReadAheadCandidate {
  ReadAheadKind kind = ReadAheadKind::ReadStream;
  uint32_t objectHandle = 0;    ///< server handle of the Stream / FastTransfer object
  uint32_t requestedBytes = 0;  ///< ByteCount / BufferSize (after the 0xBABE escape)
  uint8_t logonId = 0;
};

/// A lone RopWriteStream: what the edge may answer at once (write optimization).
struct WriteCandidate {
  uint32_t objectHandle = 0;
  uint8_t inputHandleIndex = 0;
  uint16_t dataBytes = 0;
};

struct RequestSummary {
  /// The stub, rgbIn and RopsList all decoded. When false (and not objectsBounded), nothing
  /// below is known: the AO must assume the request may touch any object.
  bool decoded = false;
  /// Not decoded, because the RopsList holds a ROP this codec does not know, but the call was
  /// framed: every ROP names its input object by an index into the call's
  /// ServerObjectHandleTable (MS-OXCROPS 2.2.1), so the call touches no object outside that
  /// table. touchedHandles is then the whole table (output placeholders left out),
  /// contextHandle is known, and releasedHandles holds the RopReleases decoded before the
  /// unknown ROP; key, candidate and write stay empty. Outlook sends far more ROPs than this
  /// codec knows; such a call need not wait for, or end, work on unrelated objects.
  bool objectsBounded = false;
  /// Context handle + flags + sizes + the plain rgbIn payload: equal keys mean the server would
  /// get the same question (rgbAuxIn, the client's statistics, is left out on purpose).
  Bytes key;
  /// Server handles named by each ROP's InputHandleIndex.
  std::vector<uint32_t> touchedHandles;
  /// The session's context handle (CXH, MS-OXCRPC 2.2.2.1): server object handles are
  /// unique only within one session, and one association group may carry several.
  Bytes contextHandle;
  /// Server handles the call releases (each RopRelease's object, MS-OXCROPS 2.2.15.3),
  /// whatever else the call holds.
  std::vector<uint32_t> releasedHandles;
  /// Every ROP is a RopRelease.
  bool onlyReleases = false;
  std::optional<ReadAheadCandidate> candidate;
  std::optional<WriteCandidate> write;
};

RequestSummary summarizeRequest(ByteSpan ecDoRpcExt2RequestStub);

/// The objects of the call are known: exactly (decoded) or as a bound (objectsBounded).
inline bool touchedObjectsKnown(const RequestSummary& s) {
  return s.decoded || s.objectsBounded;
}

struct ResponseSummary {
  bool decoded = false;
  /// The call succeeded as a whole and its one ROP succeeded.
  bool success = false;
  /// Stream or FastTransfer bytes carried.
  uint32_t dataBytes = 0;
  /// The same request again would return more (a full ReadStream; TransferStatus Partial).
  bool more = false;
};

ResponseSummary summarizeReadAheadResponse(ByteSpan ecDoRpcExt2ResponseStub,
                                           const ReadAheadCandidate& request);

/// An EcDoRpcExt2 request stub carrying RopSeekStream(Origin current, offset) on `handle`,
/// with the context handle and flags of `templateStub` (MS-OXCROPS 2.2.9.8): how the core puts
/// a stream's seek pointer back where the client believes it is. Empty when the template does
/// not decode.
Bytes makeSeekCurrentRequest(ByteSpan templateStub, uint8_t logonId, uint32_t handle,
                             int64_t offset);

/// The EcDoRpcExt2 answer the server gives a successful lone RopWriteStream (MS-OXCROPS
/// 2.2.9.3: ReturnValue 0, WrittenSize = DataSize; the handle table echoed), uncompressed and
/// unobfuscated (which MS-OXCRPC 3.1.4.2 always allows). Empty when the request does not decode
/// or the answer would not fit its pcbOut.
Bytes makeWriteStreamAnswer(ByteSpan requestStub);

/// The EcDoRpcExt2 answer the server gives a call of RopRelease only: RopRelease has no
/// response (MS-OXCROPS 2.2.15.3), so the ROP buffer holds no ROP answer, only the handle table
/// echoed; uncompressed and unobfuscated. Empty when the request does not decode, holds
/// anything but RopRelease, or the answer would not fit its pcbOut.
Bytes makeReleaseAnswer(ByteSpan requestStub);

/// The outcome of a write the edge answered early: the server's answer says it wrote every byte.
bool writeSucceeded(ByteSpan ecDoRpcExt2ResponseStub, uint16_t dataBytes);

/// The outcome of a release-only call the edge answered early: the call as a whole succeeded
/// (ReturnValue 0) and carried no ROP answer.
bool releaseSucceeded(ByteSpan ecDoRpcExt2ResponseStub);

/// True when `stub` is a successful RopSeekStream answer.
bool seekSucceeded(ByteSpan ecDoRpcExt2ResponseStub);

}  // namespace bh::mapi::mapi_ao
