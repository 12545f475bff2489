#include "mapi/mapi_ao/call_description.h"

#include <cstdio>
#include <type_traits>
#include <variant>

#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/emsmdb/ec_do_rpc_ext2.h"
#include "mapi/emsmdb/rpc_header_ext.h"
#include "mapi/rop/rop.h"
#include "mapi/rop/rop_buffer.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::mapi_ao {

namespace {

std::string hex32(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}

std::string hex8(uint8_t v) {
  char b[8];
  std::snprintf(b, sizeof b, "0x%02x", v);
  return b;
}

// A request's handle table slot for an object the call creates (MS-OXCROPS 2.2.1).
constexpr uint32_t kNewObjectSlot = 0xffffffff;

std::string handleName(uint32_t h) {
  return h == kNewObjectSlot ? "new" : hex32(h);
}

std::string flagNames(dcerpc::PType type, uint8_t f) {
  // In bind, alter_context and their answers bit 0x04 offers header signing (MS-RPCE
  // 2.2.2.3); elsewhere it is PFC_PENDING_CANCEL.
  bool binding = type == dcerpc::PType::Bind || type == dcerpc::PType::AlterContext ||
                 type == dcerpc::PType::BindAck || type == dcerpc::PType::AlterContextResp;
  std::string s;
  auto add = [&](uint8_t bit, const char* name) {
    if ((f & bit) != 0) {
      s += s.empty() ? name : std::string(",") + name;
    }
  };
  add(dcerpc::pfc::FirstFrag, "first");
  add(dcerpc::pfc::LastFrag, "last");
  add(dcerpc::pfc::PendingCancel, binding ? "support_header_sign" : "pending_cancel");
  add(dcerpc::pfc::ConcMpx, "conc_mpx");
  add(dcerpc::pfc::DidNotExecute, "did_not_execute");
  add(dcerpc::pfc::Maybe, "maybe");
  add(dcerpc::pfc::ObjectUuid, "object");
  return s.empty() ? "none" : s;
}

// The extended buffer's pieces: "[wire/plain compressed xor last ...]".
std::string describeExtended(ByteSpan buffer) {
  std::vector<emsmdb::ExtendedPiece> pieces;
  ParseResult r = emsmdb::decodeExtendedBuffer(buffer, pieces);
  if (!r.ok()) {
    return "[not decoded: " + r.error + "]";
  }
  std::string s = "[";
  for (size_t i = 0; i < pieces.size(); ++i) {
    const auto& h = pieces[i].header;
    s += (i ? " " : "") + std::to_string(h.size) + "/" + std::to_string(h.sizeActual);
    if (h.compressed()) {
      s += " compressed";
    }
    if (h.xorMagic()) {
      s += " xor";
    }
    if (h.last()) {
      s += " last";
    }
  }
  return s + "]";
}

bool plainRopBuffer(ByteSpan extended, Bytes& out, std::string& why) {
  ParseResult r = emsmdb::decodeExtendedPayload(extended, out);
  why = r.error;
  return r.ok();
}

std::string ropName(uint8_t id) {
  const char* n = rop::ropName(id);
  return n ? n : "RopId " + hex8(id);
}

std::string handleTable(const std::vector<uint32_t>& handles) {
  std::string s = "handles=[";
  for (size_t i = 0; i < handles.size(); ++i) {
    s += (i ? "," : "") + handleName(handles[i]);
  }
  return s + "]";
}

}  // namespace

std::string hexHandle(uint32_t handle) {
  return hex32(handle);
}

std::string describePdu(ByteSpan data) {
  dcerpc::Pdu pdu;
  ParseResult r = dcerpc::decodePdu(data, pdu);
  if (!r.ok()) {
    return "PDU not decoded (" + (r.error.empty() ? std::string("incomplete") : r.error) + ")";
  }
  const auto& h = pdu.header;
  std::string s = std::string(dcerpc::ptypeName(h.ptype)) + " call_id=" + std::to_string(h.callId);
  if (const auto* q = pdu.request()) {
    s += " ctx=" + std::to_string(q->contextId) + " opnum=" + std::to_string(q->opnum);
  } else if (const auto* p = pdu.response()) {
    s += " ctx=" + std::to_string(p->contextId);
  } else if (const auto* f = pdu.fault()) {
    s += " ctx=" + std::to_string(f->contextId) + " status=" + hex32(f->status);
  } else if (const auto* b = pdu.bind()) {
    s += " assoc_group=" + hex32(b->assocGroupId) +
         " contexts=" + std::to_string(b->contexts.size());
  } else if (const auto* a = pdu.bindAck()) {
    s += " assoc_group=" + hex32(a->assocGroupId) + " results=";
    for (size_t i = 0; i < a->results.size(); ++i) {
      s += (i ? "," : "") + std::to_string(a->results[i].result);
    }
  }
  s += " flags=" + flagNames(h.ptype, h.pfcFlags) + " frag=" + std::to_string(h.fragLength);
  if (const auto* q = pdu.request()) {
    s += " stub=" + std::to_string(q->stub.size());
  } else if (const auto* p = pdu.response()) {
    s += " stub=" + std::to_string(p->stub.size());
  }
  if (pdu.auth) {
    s += " auth_type=" + std::to_string(static_cast<int>(pdu.auth->trailer.authType)) +
         " auth_level=" + std::to_string(static_cast<int>(pdu.auth->trailer.authLevel)) +
         " auth_len=" + std::to_string(h.authLength);
  } else {
    s += " auth=none";
  }
  return s;
}

std::string describeEcDoRpcExt2Request(ByteSpan stub) {
  emsmdb::EcDoRpcExt2Request q;
  ParseResult r = emsmdb::decodeEcDoRpcExt2Request(stub, q);
  if (!r.ok()) {
    return "EcDoRpcExt2 request not decoded (" + r.error + ")";
  }
  return "EcDoRpcExt2 pulFlags=" + hex32(q.pulFlags) + " cbIn=" + std::to_string(q.rgbIn.size()) +
         " pcbOut=" + std::to_string(q.pcbOut) + " cbAuxIn=" + std::to_string(q.rgbAuxIn.size()) +
         " rgbIn=" + describeExtended(q.rgbIn);
}

std::string describeEcDoRpcExt2Response(ByteSpan stub) {
  emsmdb::EcDoRpcExt2Response a;
  ParseResult r = emsmdb::decodeEcDoRpcExt2Response(stub, a);
  if (!r.ok()) {
    return "EcDoRpcExt2 answer not decoded (" + r.error + ")";
  }
  std::string s = "EcDoRpcExt2 answer ReturnValue=" + hex32(a.returnValue) +
                  " pulFlags=" + hex32(a.pulFlags) + " cbOut=" + std::to_string(a.rgbOut.size()) +
                  " cbAuxOut=" + std::to_string(a.rgbAuxOut.size());
  if (!a.rgbOut.empty()) {
    s += " rgbOut=" + describeExtended(a.rgbOut);
  }
  return s;
}

std::string describeRopRequests(ByteSpan stub) {
  emsmdb::EcDoRpcExt2Request q;
  ParseResult r = emsmdb::decodeEcDoRpcExt2Request(stub, q);
  if (!r.ok()) {
    return "ROPs not decoded (EcDoRpcExt2: " + r.error + ")";
  }
  Bytes plain;
  std::string why;
  if (!plainRopBuffer(q.rgbIn, plain, why)) {
    return "ROPs not decoded (rgbIn: " + why + ")";
  }
  rop::RopRequestBuffer buf;
  ParseResult b = rop::decodeRequestBuffer(plain, buf);
  std::string s;
  for (const auto& rq : buf.rops) {
    if (!s.empty()) {
      s += " ";
    }
    s += ropName(static_cast<uint8_t>(rop::ropIdOf(rq)));
    if (auto index = rop::inputHandleIndex(rq)) {
      s += "(in=#" + std::to_string(*index);
      if (*index < buf.serverObjectHandleTable.size()) {
        s += " " + handleName(buf.serverObjectHandleTable[*index]);
      }
      s += ")";
    }
  }
  if (!b.ok()) {
    s += (s.empty() ? "" : " ") + std::string("... not decoded further (") + b.error + ")";
  }
  return s + " " + handleTable(buf.serverObjectHandleTable);
}

std::string describeRopResponses(ByteSpan stub, ByteSpan request) {
  emsmdb::EcDoRpcExt2Response a;
  ParseResult r = emsmdb::decodeEcDoRpcExt2Response(stub, a);
  if (!r.ok()) {
    return "ROP answers not decoded (EcDoRpcExt2: " + r.error + ")";
  }
  Bytes plain;
  std::string why;
  if (!plainRopBuffer(a.rgbOut, plain, why)) {
    return "ROP answers not decoded (rgbOut: " + why + ")";
  }
  if (plain.empty()) {
    return "no ROP answers";
  }
  rop::ResponseContext ctx;
  emsmdb::EcDoRpcExt2Request q;
  Bytes requestPlain;
  rop::RopRequestBuffer requestBuf;
  if (!request.empty() && emsmdb::decodeEcDoRpcExt2Request(request, q).ok() &&
      plainRopBuffer(q.rgbIn, requestPlain, why) &&
      rop::decodeRequestBuffer(requestPlain, requestBuf).ok()) {
    ctx = rop::responseContextFor(requestBuf);
  }
  rop::RopResponseBuffer buf;
  ParseResult b = rop::decodeResponseBuffer(plain, buf, ctx);
  std::string s;
  for (const auto& rs : buf.rops) {
    if (!s.empty()) {
      s += " ";
    }
    s += ropName(static_cast<uint8_t>(rop::ropIdOf(rs)));
    std::visit(
        [&](const auto& v) {
          if constexpr (requires { v.returnValue; }) {
            s += " rv=" + hex32(v.returnValue);
          }
          if constexpr (requires { v.opaque; }) {
            if (v.opaque) {
              // Its rows took the rest of the buffer: their layout was set by another call.
              s += " (rows of columns set in an earlier call; later answers not shown)";
            }
          }
        },
        rs);
  }
  if (!b.ok()) {
    // Response layouts of some ROPs depend on the request (columns, property tags).
    s += (s.empty() ? "" : " ") + std::string("... not decoded further (") + b.error + ")";
  }
  return s + " " + handleTable(buf.serverObjectHandleTable);
}

}  // namespace bh::mapi::mapi_ao
