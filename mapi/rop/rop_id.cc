#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

const char* ropName(uint8_t id) {
  switch (static_cast<RopId>(id)) {
    case RopId::RopRelease:
      return "RopRelease";
    case RopId::RopOpenFolder:
      return "RopOpenFolder";
    case RopId::RopOpenMessage:
      return "RopOpenMessage";
    case RopId::RopGetHierarchyTable:
      return "RopGetHierarchyTable";
    case RopId::RopGetContentsTable:
      return "RopGetContentsTable";
    case RopId::RopGetPropertiesSpecific:
      return "RopGetPropertiesSpecific";
    case RopId::RopSetColumns:
      return "RopSetColumns";
    case RopId::RopQueryRows:
      return "RopQueryRows";
    case RopId::RopGetAttachmentTable:
      return "RopGetAttachmentTable";
    case RopId::RopOpenAttachment:
      return "RopOpenAttachment";
    case RopId::RopGetReceiveFolder:
      return "RopGetReceiveFolder";
    case RopId::RopOpenStream:
      return "RopOpenStream";
    case RopId::RopReadStream:
      return "RopReadStream";
    case RopId::RopWriteStream:
      return "RopWriteStream";
    case RopId::RopSeekStream:
      return "RopSeekStream";
    case RopId::RopSetStreamSize:
      return "RopSetStreamSize";
    case RopId::RopFastTransferSourceCopyTo:
      return "RopFastTransferSourceCopyTo";
    case RopId::RopFastTransferSourceGetBuffer:
      return "RopFastTransferSourceGetBuffer";
    case RopId::RopCommitStream:
      return "RopCommitStream";
    case RopId::RopGetStreamSize:
      return "RopGetStreamSize";
    case RopId::RopSynchronizationConfigure:
      return "RopSynchronizationConfigure";
    case RopId::RopSynchronizationUploadStateStreamBegin:
      return "RopSynchronizationUploadStateStreamBegin";
    case RopId::RopSynchronizationUploadStateStreamContinue:
      return "RopSynchronizationUploadStateStreamContinue";
    case RopId::RopSynchronizationUploadStateStreamEnd:
      return "RopSynchronizationUploadStateStreamEnd";
    case RopId::RopLogon:
      return "RopLogon";
    case RopId::RopBufferTooSmall:
      return "RopBufferTooSmall";
  }
  return nullptr;
}

}  // namespace bh::mapi::rop
