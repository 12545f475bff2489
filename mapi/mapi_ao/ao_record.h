#pragma once

// The MAPI AO's channel between its edge and core halves. Inside the peer protocol's Data
// stream (so DRE/LZ see prefetched data like any other bytes, and ordering with the relayed
// bytes is the stream's own), each direction is a sequence of records:
//
//   0        1                                  5
//   +--------+----------------------------------+----------------
//   |  type  |      length of the body (BE)     |  body ...
//   +--------+----------------------------------+----------------
//
// A HandOff record ends the framing in its direction: the bytes after it are the application
// stream itself, unframed (the flow continues under the generic accelerator).

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "mapi/mapi_ao/hand_off_reason.h"

namespace bh::mapi::mapi_ao {

enum class RecordType : uint8_t {
  /// Application bytes to relay unchanged: whole DCE/RPC PDUs of the client (edge→core) or of
  /// the server (core→edge).
  Pdus = 1,
  /// core→edge: read-ahead begins for the request in the body (its stub, as the core will replay
  /// it); the responses follow as ReadAheadData in order.
  ReadAheadStart = 2,
  /// core→edge: the next prefetched response, as the server's PDUs (injected call id).
  ReadAheadData = 3,
  /// core→edge: no more ReadAheadData for this read-ahead.
  ReadAheadEnd = 4,
  /// edge→core: responses answered locally (credit to prefetch more).
  ReadAheadConsumed = 5,
  /// edge→core: the client left the pattern; the edge dropped what it had not used.
  ReadAheadCancel = 6,
  /// Either way: stop optimizing; what follows in this direction is unframed.
  HandOff = 7,
  /// edge->core: a lone RopWriteStream the edge already answered; the body is the object
  /// handle, the data size, then the request's PDUs. The server's answer stays at the core.
  WriteBehind = 8,
  /// core->edge: write-behind calls the server confirmed (count, data bytes): window credit.
  WriteAck = 9,
};

/// How a read-ahead pulls its data (MS-OXCROPS 2.2.9.2 and 2.2.13.5).
enum class ReadAheadKind : uint8_t { ReadStream = 1, FastTransferGetBuffer = 2 };

/// "ReadAheadData", for debug lines; "record type N" for one this version does not know.
std::string recordTypeName(uint8_t type);
/// "ReadStream" or "FastTransfer".
const char* readAheadKindName(ReadAheadKind kind);

constexpr size_t kRecordHeaderSize = 5;

struct RecordLimits {
  /// Largest body: a prefetched response of up to 32 fragments of 64 KiB would exceed any real
  /// ReadStream/GetBuffer answer (about 32 KiB of stub); Pdus records carry at most 64 KiB.
  size_t maxBody = 1u << 20;
};

struct ReadAheadStart {
  uint32_t id = 0;
  ReadAheadKind kind = ReadAheadKind::ReadStream;
  uint32_t objectHandle = 0;  ///< the server handle of the Stream / FastTransfer object
  uint16_t contextId = 0;     ///< the request's presentation context
  Bytes requestStub;          ///< the EcDoRpcExt2 request stub the core replays
  bool operator==(const ReadAheadStart&) const = default;
};

/// One prefetched answer, taken apart so that DRE sees the same bytes every time the same data
/// is read: the fragment headers (call ids, which differ run to run) and the stub's first
/// kStubPrefix bytes (the session's context handle) travel apart from the rest of the stub.
/// The edge puts the fragments back together exactly as the server sent them.
/// A call's fragments taken apart: their 24-byte headers (request or response without object
/// UUID or auth trailer; call ids differ run to run) and their stubs joined. False when a
/// fragment is not of `ptype` or carries something else.
bool splitFragments(const std::vector<Bytes>& fragments, uint8_t ptype, Bytes& headers,
                    Bytes& stub);
/// The fragments again, every call id set to `callId`; empty if headers and stub disagree.
Bytes joinFragments(const Bytes& headers, const Bytes& stub, uint32_t callId);

struct ReadAheadData {
  static constexpr size_t kFragmentHeader = 24;  ///< CO response header (C706 12.6.4.10)
  static constexpr size_t kStubPrefix = 24;      ///< CXH + pulFlags (MS-OXCRPC 3.1.4.2)
  static constexpr size_t kStubSuffix = 8;       ///< pulTransTime + return value
  uint32_t id = 0;
  uint32_t dataBytes = 0;  ///< stream / FastTransfer bytes this response carries (statistics)
  Bytes fragmentHeaders;   ///< kFragmentHeader bytes per fragment, in order
  Bytes stub;              ///< the fragments' stubs joined
  bool operator==(const ReadAheadData&) const = default;
  /// From the server's fragments (no auth trailers); false if they are not plain responses.
  static bool fromFragments(uint32_t id, uint32_t dataBytes, const std::vector<Bytes>& fragments,
                            ReadAheadData& out);
  /// The fragments again, every call id set to `callId`; empty if the headers and the stub do
  /// not add up.
  Bytes toFragments(uint32_t callId) const;
};

struct ReadAheadCancel {
  uint32_t id = 0;
  uint32_t consumed = 0;     ///< responses the client took in all
  bool releaseOnly = false;  ///< the object is being released: no need to restore its position
  bool operator==(const ReadAheadCancel&) const = default;
};

struct Record {
  RecordType type = RecordType::Pdus;
  Bytes body;
  bool operator==(const Record&) const = default;
};

/// Decodes one record at the front of `in`: Done(consumed), NeedMore(total), or Error (unknown
/// type, body over the cap).
ParseResult decodeRecord(ByteSpan in, Record& out, const RecordLimits& limits = {});
void encodeRecord(RecordType type, ByteSpan body, Bytes& out);

/// Body codecs. Decoders return false on a malformed body.
Bytes encodeReadAheadStart(const ReadAheadStart& s);
bool decodeReadAheadStart(ByteSpan body, ReadAheadStart& out);
/// `cuts` (optional) gets the offsets in the body where the stable part of the stub starts and
/// ends, for the data codec to cut its chunks there.
Bytes encodeReadAheadData(const ReadAheadData& d, std::vector<size_t>* cuts = nullptr);
bool decodeReadAheadData(ByteSpan body, ReadAheadData& out);
Bytes encodeReadAheadId(uint32_t id);
bool decodeReadAheadId(ByteSpan body, uint32_t& id);
Bytes encodeReadAheadConsumed(uint32_t id, uint32_t count);
bool decodeReadAheadConsumed(ByteSpan body, uint32_t& id, uint32_t& count);
Bytes encodeReadAheadCancel(const ReadAheadCancel& c);
bool decodeReadAheadCancel(ByteSpan body, ReadAheadCancel& out);
/// The request's fragments travel taken apart (as ReadAheadData's): DRE then sees the data of
/// a stream written twice as the same bytes, whatever session and call ids carried it.
/// A call the edge answered itself, sent on to the server: a lone RopWriteStream of
/// `dataBytes` on `objectHandle`, or (dataBytes 0) a call of RopRelease only.
struct WriteBehind {
  static constexpr size_t kStubPrefix = 24;  ///< CXH + pulFlags (MS-OXCRPC 3.1.4.2)
  static constexpr size_t kStubSuffix = 16;  ///< pcbOut, rgbAuxIn (empty), pcbAuxOut
  uint32_t objectHandle = 0;
  uint16_t dataBytes = 0;
  Bytes fragmentHeaders;
  Bytes stub;
  bool operator==(const WriteBehind&) const = default;
};
Bytes encodeWriteBehind(const WriteBehind& w, std::vector<size_t>* cuts = nullptr);
bool decodeWriteBehind(ByteSpan body, WriteBehind& out);
Bytes encodeHandOff(HandOffReason reason);
bool decodeHandOff(ByteSpan body, HandOffReason& out);

/// Incremental record framing for one direction: feed chunks, get whole records; once a
/// HandOff record is decoded the rest of the input (and every later chunk) is raw bytes.
class RecordReader {
 public:
  explicit RecordReader(RecordLimits limits = {}) : limits_(limits) {}
  /// Appends whole records to `records`; bytes after a HandOff go to `raw`.
  ParseResult feed(ByteSpan data, std::vector<Record>& records, Bytes& raw);
  bool handedOff() const { return handedOff_; }
  size_t bufferedBytes() const { return buffer_.size(); }

 private:
  RecordLimits limits_;
  Bytes buffer_;
  bool handedOff_ = false;
  bool failed_ = false;
};

}  // namespace bh::mapi::mapi_ao
