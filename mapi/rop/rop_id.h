#pragma once

// ROP identifiers the codec knows (MS-OXCROPS 2.2.x; each checked against the section that
// defines the ROP). Any other RopId stops buffer decoding with an "unsupported ROP" error.

#include <cstdint>

namespace bh::mapi::rop {

enum class RopId : uint8_t {
  RopRelease = 0x01,                                   // 2.2.15.3
  RopOpenFolder = 0x02,                                // 2.2.4.1
  RopOpenMessage = 0x03,                               // 2.2.6.1
  RopGetHierarchyTable = 0x04,                         // 2.2.4.13
  RopGetContentsTable = 0x05,                          // 2.2.4.14
  RopGetPropertiesSpecific = 0x07,                     // 2.2.8.3
  RopSetColumns = 0x12,                                // 2.2.5.1
  RopQueryRows = 0x15,                                 // 2.2.5.4
  RopGetAttachmentTable = 0x21,                        // 2.2.6.17
  RopOpenAttachment = 0x22,                            // 2.2.6.12
  RopGetReceiveFolder = 0x27,                          // 2.2.3.2
  RopOpenStream = 0x2b,                                // 2.2.9.1
  RopReadStream = 0x2c,                                // 2.2.9.2
  RopWriteStream = 0x2d,                               // 2.2.9.3
  RopSeekStream = 0x2e,                                // 2.2.9.8
  RopSetStreamSize = 0x2f,                             // 2.2.9.6
  RopFastTransferSourceCopyTo = 0x4d,                  // 2.2.13.6
  RopFastTransferSourceGetBuffer = 0x4e,               // 2.2.13.5
  RopCommitStream = 0x5d,                              // 2.2.9.4
  RopGetStreamSize = 0x5e,                             // 2.2.9.5
  RopSynchronizationConfigure = 0x70,                  // 2.2.13.1
  RopSynchronizationUploadStateStreamBegin = 0x75,     // 2.2.13.9
  RopSynchronizationUploadStateStreamContinue = 0x76,  // 2.2.13.10
  RopSynchronizationUploadStateStreamEnd = 0x77,       // 2.2.13.11
  RopLogon = 0xfe,                                     // 2.2.3.1
  RopBufferTooSmall = 0xff,                            // 2.2.15.1 (response only)
};

/// The protocol name ("RopReadStream"), or nullptr for an id this codec does not know.
const char* ropName(uint8_t id);

/// ReturnValue codes that change a response's layout (MS-OXCDATA 2.4).
constexpr uint32_t kSuccess = 0x00000000;
constexpr uint32_t kErrorWrongServer = 0x00000478;  ///< RopLogon redirect
constexpr uint32_t kErrorServerBusy = 0x00000480;   ///< RopFastTransferSourceGetBuffer backoff

}  // namespace bh::mapi::rop
