#pragma once

// ROP identifiers, property tags and error codes the simulators use (MS-OXCROPS 2.2,
// MS-OXPROPS, MS-OXCDATA 2.4), and the PropertyRow writer/reader (MS-OXCDATA 2.8.1).

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/bytes.h"

namespace bh::sim::rops {

// RopIds (MS-OXCROPS 2.2.x).
inline constexpr uint8_t kRelease = 0x01;                                   // 2.2.15.3
inline constexpr uint8_t kOpenFolder = 0x02;                                // 2.2.4.1
inline constexpr uint8_t kOpenMessage = 0x03;                               // 2.2.6.1
inline constexpr uint8_t kGetHierarchyTable = 0x04;                         // 2.2.4.13
inline constexpr uint8_t kGetContentsTable = 0x05;                          // 2.2.4.14
inline constexpr uint8_t kGetPropertiesSpecific = 0x07;                     // 2.2.8.3
inline constexpr uint8_t kGetPropertiesAll = 0x08;                          // 2.2.8.4
inline constexpr uint8_t kSetColumns = 0x12;                                // 2.2.5.1
inline constexpr uint8_t kQueryRows = 0x15;                                 // 2.2.5.4
inline constexpr uint8_t kGetAttachmentTable = 0x21;                        // 2.2.6.17
inline constexpr uint8_t kOpenAttachment = 0x22;                            // 2.2.6.12
inline constexpr uint8_t kCreateAttachment = 0x23;                          // 2.2.6.13
inline constexpr uint8_t kOpenStream = 0x2b;                                // 2.2.9.1
inline constexpr uint8_t kReadStream = 0x2c;                                // 2.2.9.2
inline constexpr uint8_t kWriteStream = 0x2d;                               // 2.2.9.3
inline constexpr uint8_t kSeekStream = 0x2e;                                // 2.2.9.8
inline constexpr uint8_t kSetStreamSize = 0x2f;                             // 2.2.9.6
inline constexpr uint8_t kFastTransferSourceGetBuffer = 0x4e;               // 2.2.13.5
inline constexpr uint8_t kCommitStream = 0x5d;                              // 2.2.9.4
inline constexpr uint8_t kGetStreamSize = 0x5e;                             // 2.2.9.5
inline constexpr uint8_t kSynchronizationConfigure = 0x70;                  // 2.2.13.1
inline constexpr uint8_t kSynchronizationUploadStateStreamBegin = 0x75;     // 2.2.13.9
inline constexpr uint8_t kSynchronizationUploadStateStreamContinue = 0x76;  // 2.2.13.10
inline constexpr uint8_t kSynchronizationUploadStateStreamEnd = 0x77;       // 2.2.13.11
inline constexpr uint8_t kLogon = 0xfe;                                     // 2.2.3.1
inline constexpr uint8_t kBufferTooSmall = 0xff;                            // 2.2.15.1

// ReturnValue codes (MS-OXCDATA 2.4).
inline constexpr uint32_t kSuccess = 0;
inline constexpr uint32_t kNotFound = 0x8004010f;
inline constexpr uint32_t kInvalidParameter = 0x80070057;
inline constexpr uint32_t kNoSupport = 0x80040102;
inline constexpr uint32_t kNullObject = 0x000004b9;
inline constexpr uint32_t kRpcFormat = 0x000004b6;
inline constexpr uint32_t kGeneralFailure = 0x80004005;  // ecError, SYNC_E_ERROR
/// A write beyond the stream's maximum size (MS-OXCPRPT 3.2.5.13, Processing RopWriteStream);
/// the sim returns it for every size cap of an attachment.
inline constexpr uint32_t kTooBig = 0x80040305;  // ecTooBig, MAPI_E_TOO_BIG
/// No room left for a new object: the session's object table is full.
inline constexpr uint32_t kInsufficientResources = 0x8004010e;  // MAPI_E_NOT_ENOUGH_RESOURCES
/// The store would exceed a quota (the sim's total of saved attachment bytes).
inline constexpr uint32_t kQuotaExceeded = 0x000004d9;  // ecQuotaExceeded
/// The message already has the most attachments it may have.
inline constexpr uint32_t kMaxAttachmentExceeded = 0x000004db;  // ecMaxAttachmentExceeded
/// As a property's error (MS-OXCDATA 2.4.2): the value is too large for the request; read it
/// with RopOpenStream.
inline constexpr uint32_t kNotEnoughMemory = 0x8007000e;  // E_NOMEMORY, MAPI_E_NOT_ENOUGH_MEMORY

// Property tags (MS-OXPROPS): id << 16 | type.
inline constexpr uint32_t kPidTagSubject = 0x0037001e;
inline constexpr uint32_t kPidTagMessageSize = 0x0e080003;
inline constexpr uint32_t kPidTagHasAttachments = 0x0e1b000b;
inline constexpr uint32_t kPidTagMid = 0x674a0014;
inline constexpr uint32_t kPidTagFolderId = 0x67480014;
inline constexpr uint32_t kPidTagDisplayName = 0x3001001e;
inline constexpr uint32_t kPidTagContentCount = 0x36020003;
inline constexpr uint32_t kPidTagBody = 0x1000001e;
inline constexpr uint32_t kPidTagAttachNumber = 0x0e210003;
inline constexpr uint32_t kPidTagAttachSize = 0x0e200003;
inline constexpr uint32_t kPidTagAttachLongFilename = 0x3707001e;
inline constexpr uint32_t kPidTagAttachDataBinary = 0x37010102;
// ICS state properties (MS-OXCFXICS 2.2.1.1.1-4). MetaTagIdsetGiven's tag says PtypInteger32
// but its value is binary; a server SHOULD accept it tagged either way (3.2.5.2.1).
inline constexpr uint32_t kMetaTagIdsetGiven = 0x40170003;
inline constexpr uint32_t kMetaTagIdsetGivenBinary = 0x40170102;
inline constexpr uint32_t kMetaTagCnsetSeen = 0x67960102;
inline constexpr uint32_t kMetaTagCnsetSeenFAI = 0x67da0102;
inline constexpr uint32_t kMetaTagCnsetRead = 0x67d20102;
/// Private to the simulators (a tag in the 0x7FF0 range reserved for the provider): the
/// SHA-256 of an attachment's data as the server holds it.
inline constexpr uint32_t kPidTagSimContentSha256 = 0x7ff00102;

// Property types (MS-OXCDATA 2.11.1).
inline constexpr uint16_t kPtypInteger32 = 0x0003;
/// A property that could not be read: its value is the error code (MS-OXCDATA 2.4.2).
inline constexpr uint16_t kPtypErrorCode = 0x000a;
inline constexpr uint16_t kPtypBoolean = 0x000b;
inline constexpr uint16_t kPtypInteger64 = 0x0014;
inline constexpr uint16_t kPtypString8 = 0x001e;
inline constexpr uint16_t kPtypTime = 0x0040;
inline constexpr uint16_t kPtypBinary = 0x0102;

/// OpenModeFlags of RopOpenStream (MS-OXCROPS 2.2.9.1.1).
inline constexpr uint8_t kStreamReadOnly = 0x00;
inline constexpr uint8_t kStreamReadWrite = 0x01;
inline constexpr uint8_t kStreamCreate = 0x02;

/// TransferStatus of RopFastTransferSourceGetBuffer (MS-OXCROPS 2.2.13.5.2).
inline constexpr uint16_t kTransferError = 0x0000;
inline constexpr uint16_t kTransferPartial = 0x0001;
inline constexpr uint16_t kTransferDone = 0x0003;

/// ReadStream/GetBuffer "use the 32-bit maximum that follows" (MS-OXCROPS 2.2.9.2.1).
inline constexpr uint16_t kUseMaximum = 0xbabe;

/// A property value as rows carry it.
using Value = std::variant<std::monostate, uint32_t, uint64_t, bool, std::string, Bytes>;

/// Writes a PropertyRow for `columns`: a StandardPropertyRow (flag 0) when every value is
/// present, else a FlaggedPropertyRow (flag 1) with MAPI_E_NOT_FOUND for the missing ones.
void writePropertyRow(ByteWriter& w, const std::vector<uint32_t>& columns,
                      const std::vector<Value>& values);
/// Reads one PropertyRow for `columns`; missing values come back as monostate.
bool readPropertyRow(ByteReader& r, const std::vector<uint32_t>& columns,
                     std::vector<Value>& values);

/// A property with its tag, as a TaggedPropertyValue carries it (MS-OXCDATA 2.11.4): where no
/// earlier ROP fixed the columns, as in RopGetPropertiesAll's answer.
struct TaggedValue {
  uint32_t tag = 0;
  Value value;
  bool operator==(const TaggedValue&) const = default;
};
/// Writes a TaggedPropertyValue: PropertyTag, then the PropertyValue its type says (MS-OXCDATA
/// 2.11.2.1). @return false, writing nothing, if the value is not of the tag's type.
bool writeTaggedPropertyValue(ByteWriter& w, const TaggedValue& v);
/// Reads one TaggedPropertyValue; false if its type is one the simulators do not know.
bool readTaggedPropertyValue(ByteReader& r, TaggedValue& v);

}  // namespace bh::sim::rops
