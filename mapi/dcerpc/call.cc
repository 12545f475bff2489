#include "mapi/dcerpc/call.h"

namespace bh::mapi::dcerpc {

bool addFragment(Call& call, const Pdu& pdu, const Bytes& raw) {
  const Bytes* stub = nullptr;
  if (const Request* q = pdu.request()) {
    stub = &q->stub;
  } else if (const Response* p = pdu.response()) {
    stub = &p->stub;
  } else {
    call.fragments.push_back(raw);
    return false;
  }
  if (call.fragments.empty()) {
    call.ptype = pdu.ptype();
    call.callId = pdu.header.callId;
    call.endian = pdu.header.endian();
    if (pdu.auth) {
      call.auth = pdu.auth->trailer;
    }
    if (const Request* q = pdu.request()) {
      call.contextId = q->contextId;
      call.opnum = q->opnum;
      call.object = q->object;
      call.allocHint = q->allocHint;
    } else {
      call.contextId = pdu.response()->contextId;
      call.allocHint = pdu.response()->allocHint;
    }
  }
  call.stub.insert(call.stub.end(), stub->begin(), stub->end());
  call.fragments.push_back(raw);
  return true;
}

}  // namespace bh::mapi::dcerpc
