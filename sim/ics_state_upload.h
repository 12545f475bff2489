#pragma once

// The initial ICS state a client uploads into a synchronization download context before it
// reads the FastTransfer stream (MS-OXCFXICS 3.3.4.3.1): per ICS state property,
// RopSynchronizationUploadStateStreamBegin, zero or more ...Continue, then ...End, one property
// at a time (3.3.5.8.2 - 3.3.5.8.4); the server concatenates the StreamData (3.2.5.9.2.2).
//
// exchange-sim serves first syncs only: it does not compute differential syncs, so the one
// state it can honour is the empty one a first sync uploads (3.3.4.3.1: zero-length values).
// A non-empty value is refused at End (ecNotSupported), and the context then refuses its
// stream too, rather than send a full sync the client did not ask for. A client that uploads
// no state at all still gets the full stream, as Exchange gives it.

#include <cstdint>
#include <optional>

#include "common/bytes.h"

namespace bh::sim {

/// SynchronizationType of RopSynchronizationConfigure (MS-OXCFXICS 2.2.3.2.1.1.1).
inline constexpr uint8_t kSynchronizationContents = 0x01;
inline constexpr uint8_t kSynchronizationHierarchy = 0x02;

/// Whether a download context of `synchronizationType` takes `tag` as an ICS state property
/// (MS-OXCFXICS 2.2.3.2.2.1.1 and the table of 3.3.4.3.1: MetaTagIdsetGiven and
/// MetaTagCnsetSeen for both kinds, MetaTagCnsetSeenFAI and MetaTagCnsetRead for contents).
bool isIcsStateProperty(uint8_t synchronizationType, uint32_t tag);

class IcsStateUpload {
 public:
  /// `maxPropertyBytes` caps the value of one property (ecTooBig beyond).
  IcsStateUpload(uint8_t synchronizationType, size_t maxPropertyBytes);

  /// RopSynchronizationUploadStateStreamBegin. @return its ReturnValue: ecError while another
  /// property is being uploaded or once the stream has been read, ecInvalidParameter for a tag
  /// that is not a state property of this context, ecTooBig for a TransferBufferSize over the
  /// cap.
  uint32_t begin(uint32_t stateProperty, uint32_t transferBufferSize);
  /// RopSynchronizationUploadStateStreamContinue: appends `streamData`. @return ecError with no
  /// upload in progress, ecTooBig (nothing appended) past the cap.
  uint32_t append(ByteSpan streamData);
  /// RopSynchronizationUploadStateStreamEnd: the property is done. @return ecError with no
  /// upload in progress, ecNotSupported for a non-empty value (see above).
  uint32_t end();
  /// Before each RopFastTransferSourceGetBuffer. @return ecError while a property is being
  /// uploaded, ecNotSupported after a refused state; success marks the stream as started.
  uint32_t startDownload();

  bool uploading() const { return property_.has_value(); }
  /// The property being uploaded, and its value as concatenated so far.
  std::optional<uint32_t> property() const { return property_; }
  const Bytes& value() const { return value_; }

 private:
  uint8_t synchronizationType_;
  size_t maxPropertyBytes_;
  std::optional<uint32_t> property_;
  Bytes value_;
  /// StreamData bytes the client sent for the property, kept or not: a value refused for its
  /// size is still a non-empty state.
  uint64_t offered_ = 0;
  bool refused_ = false;
  bool downloadStarted_ = false;
};

}  // namespace bh::sim
