#include "mapi/rop/rop.h"

namespace bh::mapi::rop {

namespace {

template <class T>
RopDecodeStatus decodeAs(ByteReader& r, RopRequest& out) {
  T x;
  if (!decode(r, x)) {
    return RopDecodeStatus::Malformed;
  }
  out = std::move(x);
  return RopDecodeStatus::Ok;
}

template <class T>
RopDecodeStatus decodeAs(ByteReader& r, RopResponse& out, const ResponseContext& ctx) {
  T x;
  if (!decode(r, x, ctx)) {
    return RopDecodeStatus::Malformed;
  }
  out = std::move(x);
  return RopDecodeStatus::Ok;
}

}  // namespace

RopId ropIdOf(const RopRequest& rop) {
  return std::visit([](const auto& x) { return std::decay_t<decltype(x)>::kRopId; }, rop);
}

RopId ropIdOf(const RopResponse& rop) {
  return std::visit([](const auto& x) { return std::decay_t<decltype(x)>::kRopId; }, rop);
}

RopDecodeStatus decodeRequest(ByteReader& r, RopRequest& out, uint8_t& ropId) {
  ropId = r.u8();
  if (!r.ok()) {
    return RopDecodeStatus::Malformed;
  }
  switch (static_cast<RopId>(ropId)) {
    case RopId::RopLogon:
      return decodeAs<RopLogonRequest>(r, out);
    case RopId::RopRelease:
      return decodeAs<RopReleaseRequest>(r, out);
    case RopId::RopOpenFolder:
      return decodeAs<RopOpenFolderRequest>(r, out);
    case RopId::RopOpenMessage:
      return decodeAs<RopOpenMessageRequest>(r, out);
    case RopId::RopGetHierarchyTable:
      return decodeAs<RopGetHierarchyTableRequest>(r, out);
    case RopId::RopGetContentsTable:
      return decodeAs<RopGetContentsTableRequest>(r, out);
    case RopId::RopGetPropertiesSpecific:
      return decodeAs<RopGetPropertiesSpecificRequest>(r, out);
    case RopId::RopSetColumns:
      return decodeAs<RopSetColumnsRequest>(r, out);
    case RopId::RopQueryRows:
      return decodeAs<RopQueryRowsRequest>(r, out);
    case RopId::RopGetAttachmentTable:
      return decodeAs<RopGetAttachmentTableRequest>(r, out);
    case RopId::RopOpenAttachment:
      return decodeAs<RopOpenAttachmentRequest>(r, out);
    case RopId::RopGetReceiveFolder:
      return decodeAs<RopGetReceiveFolderRequest>(r, out);
    case RopId::RopOpenStream:
      return decodeAs<RopOpenStreamRequest>(r, out);
    case RopId::RopReadStream:
      return decodeAs<RopReadStreamRequest>(r, out);
    case RopId::RopWriteStream:
      return decodeAs<RopWriteStreamRequest>(r, out);
    case RopId::RopSeekStream:
      return decodeAs<RopSeekStreamRequest>(r, out);
    case RopId::RopSetStreamSize:
      return decodeAs<RopSetStreamSizeRequest>(r, out);
    case RopId::RopCommitStream:
      return decodeAs<RopCommitStreamRequest>(r, out);
    case RopId::RopGetStreamSize:
      return decodeAs<RopGetStreamSizeRequest>(r, out);
    case RopId::RopFastTransferSourceCopyTo:
      return decodeAs<RopFastTransferSourceCopyToRequest>(r, out);
    case RopId::RopFastTransferSourceGetBuffer:
      return decodeAs<RopFastTransferSourceGetBufferRequest>(r, out);
    case RopId::RopSynchronizationConfigure:
      return decodeAs<RopSynchronizationConfigureRequest>(r, out);
    case RopId::RopSynchronizationUploadStateStreamBegin:
      return decodeAs<RopSynchronizationUploadStateStreamBeginRequest>(r, out);
    case RopId::RopSynchronizationUploadStateStreamContinue:
      return decodeAs<RopSynchronizationUploadStateStreamContinueRequest>(r, out);
    case RopId::RopSynchronizationUploadStateStreamEnd:
      return decodeAs<RopSynchronizationUploadStateStreamEndRequest>(r, out);
    case RopId::RopBufferTooSmall:
      break;  // response only
  }
  return RopDecodeStatus::Unsupported;
}

RopDecodeStatus decodeResponse(ByteReader& r, RopResponse& out, uint8_t& ropId,
                               const ResponseContext& ctx) {
  ropId = r.u8();
  if (!r.ok()) {
    return RopDecodeStatus::Malformed;
  }
  switch (static_cast<RopId>(ropId)) {
    case RopId::RopLogon:
      return decodeAs<RopLogonResponse>(r, out, ctx);
    case RopId::RopOpenFolder:
      return decodeAs<RopOpenFolderResponse>(r, out, ctx);
    case RopId::RopOpenMessage:
      return decodeAs<RopOpenMessageResponse>(r, out, ctx);
    case RopId::RopGetHierarchyTable:
      return decodeAs<RopGetHierarchyTableResponse>(r, out, ctx);
    case RopId::RopGetContentsTable:
      return decodeAs<RopGetContentsTableResponse>(r, out, ctx);
    case RopId::RopGetPropertiesSpecific:
      return decodeAs<RopGetPropertiesSpecificResponse>(r, out, ctx);
    case RopId::RopSetColumns:
      return decodeAs<RopSetColumnsResponse>(r, out, ctx);
    case RopId::RopQueryRows:
      return decodeAs<RopQueryRowsResponse>(r, out, ctx);
    case RopId::RopGetAttachmentTable:
      return decodeAs<RopGetAttachmentTableResponse>(r, out, ctx);
    case RopId::RopOpenAttachment:
      return decodeAs<RopOpenAttachmentResponse>(r, out, ctx);
    case RopId::RopGetReceiveFolder:
      return decodeAs<RopGetReceiveFolderResponse>(r, out, ctx);
    case RopId::RopOpenStream:
      return decodeAs<RopOpenStreamResponse>(r, out, ctx);
    case RopId::RopReadStream:
      return decodeAs<RopReadStreamResponse>(r, out, ctx);
    case RopId::RopWriteStream:
      return decodeAs<RopWriteStreamResponse>(r, out, ctx);
    case RopId::RopSeekStream:
      return decodeAs<RopSeekStreamResponse>(r, out, ctx);
    case RopId::RopSetStreamSize:
      return decodeAs<RopSetStreamSizeResponse>(r, out, ctx);
    case RopId::RopCommitStream:
      return decodeAs<RopCommitStreamResponse>(r, out, ctx);
    case RopId::RopGetStreamSize:
      return decodeAs<RopGetStreamSizeResponse>(r, out, ctx);
    case RopId::RopFastTransferSourceCopyTo:
      return decodeAs<RopFastTransferSourceCopyToResponse>(r, out, ctx);
    case RopId::RopFastTransferSourceGetBuffer:
      return decodeAs<RopFastTransferSourceGetBufferResponse>(r, out, ctx);
    case RopId::RopSynchronizationConfigure:
      return decodeAs<RopSynchronizationConfigureResponse>(r, out, ctx);
    case RopId::RopSynchronizationUploadStateStreamBegin:
      return decodeAs<RopSynchronizationUploadStateStreamBeginResponse>(r, out, ctx);
    case RopId::RopSynchronizationUploadStateStreamContinue:
      return decodeAs<RopSynchronizationUploadStateStreamContinueResponse>(r, out, ctx);
    case RopId::RopSynchronizationUploadStateStreamEnd:
      return decodeAs<RopSynchronizationUploadStateStreamEndResponse>(r, out, ctx);
    case RopId::RopBufferTooSmall:
      return decodeAs<RopBufferTooSmallResponse>(r, out, ctx);
    case RopId::RopRelease:
      break;  // RopRelease has no response (MS-OXCROPS 2.2.15.3)
  }
  return RopDecodeStatus::Unsupported;
}

void encodeRequest(ByteWriter& w, const RopRequest& rop) {
  std::visit(
      [&w](const auto& x) {
        w.u8(static_cast<uint8_t>(std::decay_t<decltype(x)>::kRopId));
        encode(w, x);
      },
      rop);
}

void encodeResponse(ByteWriter& w, const RopResponse& rop) {
  std::visit(
      [&w](const auto& x) {
        w.u8(static_cast<uint8_t>(std::decay_t<decltype(x)>::kRopId));
        encode(w, x);
      },
      rop);
}

std::optional<uint8_t> inputHandleIndex(const RopRequest& rop) {
  return std::visit(
      [](const auto& x) -> std::optional<uint8_t> {
        if constexpr (std::is_base_of_v<RopRequestHeader, std::decay_t<decltype(x)>>) {
          return x.inputHandleIndex;
        } else {
          return std::nullopt;
        }
      },
      rop);
}

}  // namespace bh::mapi::rop
