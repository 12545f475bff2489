#include "mapi/mapi_ao/rop_call_summary.h"

#include <algorithm>
#include <variant>

#include "mapi/emsmdb/ec_do_rpc_ext2.h"
#include "mapi/emsmdb/rpc_header_ext.h"
#include "mapi/rop/rop.h"
#include "mapi/rop/rop_buffer.h"

namespace bh::mapi::mapi_ao {

namespace {

bool plainPayload(ByteSpan extended, Bytes& out) {
  return emsmdb::decodeExtendedPayload(extended, out).ok();
}

// A request's handle table slot for an object the call creates holds this (MS-OXCROPS 2.2.1:
// the client fills output slots with 0xFFFFFFFF).
constexpr uint32_t kOutputHandleSlot = 0xffffffff;

// The RopsList stopped at an unknown ROP after the buffer was framed (so the handle table is
// whole): the call touches at most the table's objects.
RequestSummary boundedByHandleTable(const emsmdb::EcDoRpcExt2Request& req,
                                    const rop::RopRequestBuffer& buf) {
  RequestSummary s;
  s.objectsBounded = true;
  ByteWriter cw(s.contextHandle);
  req.pcxh.write(cw);
  for (uint32_t h : buf.serverObjectHandleTable) {
    if (h != kOutputHandleSlot &&
        std::find(s.touchedHandles.begin(), s.touchedHandles.end(), h) == s.touchedHandles.end()) {
      s.touchedHandles.push_back(h);
    }
  }
  // The ROPs before the unknown one decoded whole, and a server runs ROPs in order.
  for (const auto& r : buf.rops) {
    auto index = rop::inputHandleIndex(r);
    if (std::holds_alternative<rop::RopReleaseRequest>(r) && index &&
        *index < buf.serverObjectHandleTable.size()) {
      s.releasedHandles.push_back(buf.serverObjectHandleTable[*index]);
    }
  }
  return s;
}

}  // namespace

RequestSummary summarizeRequest(ByteSpan stub) {
  RequestSummary s;
  emsmdb::EcDoRpcExt2Request req;
  if (!emsmdb::decodeEcDoRpcExt2Request(stub, req).ok()) {
    return s;
  }
  Bytes plain;
  if (!plainPayload(req.rgbIn, plain)) {
    return s;
  }
  rop::RopRequestBuffer buf;
  if (!rop::decodeRequestBuffer(plain, buf).ok()) {
    if (buf.unsupportedRopId) {
      return boundedByHandleTable(req, buf);
    }
    return s;
  }
  ByteWriter w(s.key);
  req.pcxh.write(w);
  w.u32(req.pulFlags);
  w.u32(req.pcbOut);
  w.u32(req.pcbAuxOut);
  s.key.insert(s.key.end(), plain.begin(), plain.end());
  {
    ByteWriter cw(s.contextHandle);
    req.pcxh.write(cw);
  }
  s.onlyReleases = !buf.rops.empty();
  for (const auto& r : buf.rops) {
    bool release = std::holds_alternative<rop::RopReleaseRequest>(r);
    if (!release) {
      s.onlyReleases = false;
    }
    auto index = rop::inputHandleIndex(r);
    if (index) {
      if (*index >= buf.serverObjectHandleTable.size()) {
        return RequestSummary{};  // names a handle slot that is not there: not ours to judge
      }
      s.touchedHandles.push_back(buf.serverObjectHandleTable[*index]);
      if (release) {
        s.releasedHandles.push_back(buf.serverObjectHandleTable[*index]);
      }
    }
  }
  if (buf.rops.size() == 1) {
    const auto& r = buf.rops.front();
    if (const auto* rs = std::get_if<rop::RopReadStreamRequest>(&r)) {
      s.candidate = ReadAheadCandidate{ReadAheadKind::ReadStream, s.touchedHandles.front(),
                                       rs->requestedBytes(), rs->logonId};
    } else if (const auto* gb = std::get_if<rop::RopFastTransferSourceGetBufferRequest>(&r)) {
      s.candidate = ReadAheadCandidate{ReadAheadKind::FastTransferGetBuffer,
                                       s.touchedHandles.front(), gb->requestedBytes(), gb->logonId};
    }
    if (s.candidate && s.candidate->requestedBytes == 0) {
      s.candidate.reset();
    }
    if (const auto* ws = std::get_if<rop::RopWriteStreamRequest>(&r)) {
      s.write = WriteCandidate{s.touchedHandles.front(), ws->inputHandleIndex,
                               static_cast<uint16_t>(ws->data.size())};
    }
  }
  s.decoded = true;
  return s;
}

ResponseSummary summarizeReadAheadResponse(ByteSpan stub, const ReadAheadCandidate& request) {
  ResponseSummary s;
  emsmdb::EcDoRpcExt2Response resp;
  if (!emsmdb::decodeEcDoRpcExt2Response(stub, resp).ok()) {
    return s;
  }
  Bytes plain;
  if (!plainPayload(resp.rgbOut, plain)) {
    return s;
  }
  rop::RopResponseBuffer buf;
  if (!rop::decodeResponseBuffer(plain, buf).ok() || buf.rops.size() != 1) {
    return s;
  }
  s.decoded = true;
  bool callOk = resp.returnValue == 0 && !resp.pcxh.isNull();
  const auto& r = buf.rops.front();
  if (request.kind == ReadAheadKind::ReadStream) {
    const auto* rs = std::get_if<rop::RopReadStreamResponse>(&r);
    if (rs == nullptr) {
      s.decoded = false;
      return s;
    }
    s.success = callOk && rs->returnValue == 0;
    s.dataBytes = static_cast<uint32_t>(rs->data.size());
    s.more = s.success && s.dataBytes == request.requestedBytes;
  } else {
    const auto* gb = std::get_if<rop::RopFastTransferSourceGetBufferResponse>(&r);
    if (gb == nullptr) {
      s.decoded = false;
      return s;
    }
    s.success = callOk && gb->returnValue == 0;
    s.dataBytes = static_cast<uint32_t>(gb->transferBuffer.size());
    s.more = s.success && gb->transferStatus == static_cast<uint16_t>(rop::TransferStatus::Partial);
  }
  return s;
}

Bytes makeSeekCurrentRequest(ByteSpan templateStub, uint8_t logonId, uint32_t handle,
                             int64_t offset) {
  emsmdb::EcDoRpcExt2Request req;
  if (!emsmdb::decodeEcDoRpcExt2Request(templateStub, req).ok()) {
    return {};
  }
  rop::RopRequestBuffer buf;
  rop::RopSeekStreamRequest seek;
  seek.logonId = logonId;
  seek.inputHandleIndex = 0;
  seek.origin = 1;  // STREAM_SEEK_CUR
  seek.offset = static_cast<uint64_t>(offset);
  buf.rops.emplace_back(seek);
  buf.serverObjectHandleTable.push_back(handle);
  Bytes rgbIn;
  if (!emsmdb::encodeExtendedPayloads({rop::encodeRequestBuffer(buf)}, {}, rgbIn).ok()) {
    return {};
  }
  req.rgbIn = std::move(rgbIn);
  req.rgbAuxIn.clear();
  req.pulFlags |= emsmdb::kRpcExt2NoCompression | emsmdb::kRpcExt2NoXorMagic;
  req.pulFlags &= ~emsmdb::kRpcExt2Chain;
  return emsmdb::encodeEcDoRpcExt2Request(req);
}

namespace {

/// The request's ROP buffer, if it decodes.
bool requestRops(ByteSpan requestStub, emsmdb::EcDoRpcExt2Request& req, rop::RopRequestBuffer& in) {
  Bytes plain;
  return emsmdb::decodeEcDoRpcExt2Request(requestStub, req).ok() &&
         plainPayload(req.rgbIn, plain) && rop::decodeRequestBuffer(plain, in).ok();
}

/// A successful EcDoRpcExt2 answer to `req` carrying `answers` and the request's handle table;
/// empty when it does not fit the client's *pcbOut (the server answers ecBufferTooSmall, and
/// an rgbOut above its MaxCount is no valid stub).
Bytes answerWith(const emsmdb::EcDoRpcExt2Request& req, const rop::RopRequestBuffer& in,
                 std::vector<rop::RopResponse> answers) {
  rop::RopResponseBuffer out;
  out.rops = std::move(answers);
  out.serverObjectHandleTable = in.serverObjectHandleTable;
  Bytes rgbOut;
  if (!emsmdb::encodeExtendedPayloads({rop::encodeResponseBuffer(out)}, {}, rgbOut).ok() ||
      rgbOut.size() > req.pcbOut) {
    return {};
  }
  return emsmdb::encodeEcDoRpcExt2Response(emsmdb::makeEcDoRpcExt2Response(req, rgbOut));
}

}  // namespace

Bytes makeWriteStreamAnswer(ByteSpan requestStub) {
  emsmdb::EcDoRpcExt2Request req;
  rop::RopRequestBuffer in;
  if (!requestRops(requestStub, req, in) || in.rops.size() != 1) {
    return {};
  }
  const auto* ws = std::get_if<rop::RopWriteStreamRequest>(&in.rops.front());
  if (ws == nullptr) {
    return {};
  }
  rop::RopWriteStreamResponse answer;
  answer.handleIndex = ws->inputHandleIndex;
  answer.returnValue = 0;
  answer.writtenSize = static_cast<uint16_t>(ws->data.size());
  return answerWith(req, in, {answer});
}

Bytes makeReleaseAnswer(ByteSpan requestStub) {
  emsmdb::EcDoRpcExt2Request req;
  rop::RopRequestBuffer in;
  if (!requestRops(requestStub, req, in) || in.rops.empty()) {
    return {};
  }
  for (const auto& r : in.rops) {
    if (!std::holds_alternative<rop::RopReleaseRequest>(r)) {
      return {};
    }
  }
  return answerWith(req, in, {});
}

namespace {

/// The lone ROP answer of a successful EcDoRpcExt2 call, if it is of type R.
template <typename R>
std::optional<R> loneRopAnswer(ByteSpan stub) {
  emsmdb::EcDoRpcExt2Response resp;
  if (!emsmdb::decodeEcDoRpcExt2Response(stub, resp).ok() || resp.returnValue != 0) {
    return std::nullopt;
  }
  Bytes plain;
  rop::RopResponseBuffer buf;
  if (!plainPayload(resp.rgbOut, plain) || !rop::decodeResponseBuffer(plain, buf).ok() ||
      buf.rops.size() != 1) {
    return std::nullopt;
  }
  const R* r = std::get_if<R>(&buf.rops.front());
  return r ? std::optional<R>(*r) : std::nullopt;
}

}  // namespace

bool writeSucceeded(ByteSpan stub, uint16_t dataBytes) {
  auto w = loneRopAnswer<rop::RopWriteStreamResponse>(stub);
  return w && w->returnValue == 0 && w->writtenSize == dataBytes;
}

bool releaseSucceeded(ByteSpan stub) {
  emsmdb::EcDoRpcExt2Response resp;
  Bytes plain;
  rop::RopResponseBuffer buf;
  return emsmdb::decodeEcDoRpcExt2Response(stub, resp).ok() && resp.returnValue == 0 &&
         plainPayload(resp.rgbOut, plain) && rop::decodeResponseBuffer(plain, buf).ok() &&
         buf.rops.empty();
}

bool seekSucceeded(ByteSpan stub) {
  auto s = loneRopAnswer<rop::RopSeekStreamResponse>(stub);
  return s && s->returnValue == 0;
}

}  // namespace bh::mapi::mapi_ao
