#pragma once

// Every ROP request and response this codec types, as variants, and the per-ROP dispatch.

#include <optional>
#include <variant>

#include "mapi/rop/rop_buffer_too_small.h"
#include "mapi/rop/rop_commit_stream.h"
#include "mapi/rop/rop_fast_transfer_source_copy_to.h"
#include "mapi/rop/rop_fast_transfer_source_get_buffer.h"
#include "mapi/rop/rop_get_attachment_table.h"
#include "mapi/rop/rop_get_contents_table.h"
#include "mapi/rop/rop_get_hierarchy_table.h"
#include "mapi/rop/rop_get_properties_specific.h"
#include "mapi/rop/rop_get_receive_folder.h"
#include "mapi/rop/rop_get_stream_size.h"
#include "mapi/rop/rop_logon.h"
#include "mapi/rop/rop_open_attachment.h"
#include "mapi/rop/rop_open_folder.h"
#include "mapi/rop/rop_open_message.h"
#include "mapi/rop/rop_open_stream.h"
#include "mapi/rop/rop_query_rows.h"
#include "mapi/rop/rop_read_stream.h"
#include "mapi/rop/rop_release.h"
#include "mapi/rop/rop_seek_stream.h"
#include "mapi/rop/rop_set_columns.h"
#include "mapi/rop/rop_set_stream_size.h"
#include "mapi/rop/rop_synchronization_configure.h"
#include "mapi/rop/rop_synchronization_upload_state_stream_begin.h"
#include "mapi/rop/rop_synchronization_upload_state_stream_continue.h"
#include "mapi/rop/rop_synchronization_upload_state_stream_end.h"
#include "mapi/rop/rop_write_stream.h"

namespace bh::mapi::rop {

using RopRequest =
    std::variant<RopLogonRequest, RopReleaseRequest, RopOpenFolderRequest, RopOpenMessageRequest,
                 RopGetHierarchyTableRequest, RopGetContentsTableRequest,
                 RopGetPropertiesSpecificRequest, RopSetColumnsRequest, RopQueryRowsRequest,
                 RopGetAttachmentTableRequest, RopOpenAttachmentRequest, RopGetReceiveFolderRequest,
                 RopOpenStreamRequest, RopReadStreamRequest, RopWriteStreamRequest,
                 RopSeekStreamRequest, RopSetStreamSizeRequest, RopCommitStreamRequest,
                 RopGetStreamSizeRequest, RopFastTransferSourceCopyToRequest,
                 RopFastTransferSourceGetBufferRequest, RopSynchronizationConfigureRequest,
                 RopSynchronizationUploadStateStreamBeginRequest,
                 RopSynchronizationUploadStateStreamContinueRequest,
                 RopSynchronizationUploadStateStreamEndRequest>;

using RopResponse = std::variant<
    RopLogonResponse, RopOpenFolderResponse, RopOpenMessageResponse, RopGetHierarchyTableResponse,
    RopGetContentsTableResponse, RopGetPropertiesSpecificResponse, RopSetColumnsResponse,
    RopQueryRowsResponse, RopGetAttachmentTableResponse, RopOpenAttachmentResponse,
    RopGetReceiveFolderResponse, RopOpenStreamResponse, RopReadStreamResponse,
    RopWriteStreamResponse, RopSeekStreamResponse, RopSetStreamSizeResponse,
    RopCommitStreamResponse, RopGetStreamSizeResponse, RopFastTransferSourceCopyToResponse,
    RopFastTransferSourceGetBufferResponse, RopSynchronizationConfigureResponse,
    RopSynchronizationUploadStateStreamBeginResponse,
    RopSynchronizationUploadStateStreamContinueResponse,
    RopSynchronizationUploadStateStreamEndResponse, RopBufferTooSmallResponse>;

RopId ropIdOf(const RopRequest& rop);
RopId ropIdOf(const RopResponse& rop);

/// Outcome of decoding one ROP at the reader's position.
enum class RopDecodeStatus { Ok, Malformed, Unsupported };

/// Reads RopId and the ROP after it. Unsupported: the RopId has no request codec here (or, for
/// a request, is response-only); nothing after it can be delimited.
RopDecodeStatus decodeRequest(ByteReader& r, RopRequest& out, uint8_t& ropId);
RopDecodeStatus decodeResponse(ByteReader& r, RopResponse& out, uint8_t& ropId,
                               const ResponseContext& ctx);

/// Writes RopId and the ROP.
void encodeRequest(ByteWriter& w, const RopRequest& rop);
void encodeResponse(ByteWriter& w, const RopResponse& rop);

/// The InputHandleIndex of a request (RopLogon has none: nullopt).
std::optional<uint8_t> inputHandleIndex(const RopRequest& rop);

}  // namespace bh::mapi::rop
