#include "mapi/drsuapi/drs_bind.h"

#include "mapi/drsuapi/ndr_types.h"

namespace bh::mapi::drsuapi {

using detail::StubIn;
namespace ndr = dcerpc::ndr;

ParseResult decodeDrsBindRequest(ByteSpan stub, DrsBindRequest& out, const Caps& caps) {
  StubIn in(stub, caps);
  out = {};
  // Top-level unique pointers: the referent id, then the pointee at once (C706 14.3.12.1).
  if (ndr::readPointer(in.r)) {
    out.puuidClientDsa = dcerpc::Uuid::read(in.r);
  }
  if (in.ok() && ndr::readPointer(in.r)) {
    out.pextClient.emplace();
    detail::readExtensions(in, *out.pextClient);
  }
  return in.result("DRSBind request");
}

Bytes encodeDrsBindRequest(const DrsBindRequest& in) {
  Bytes out;
  ByteWriter w(out);
  ndr::Referents refs;
  refs.write(w, in.puuidClientDsa.has_value());
  if (in.puuidClientDsa) {
    in.puuidClientDsa->write(w);
  }
  refs.write(w, in.pextClient.has_value());
  if (in.pextClient) {
    detail::writeExtensions(w, *in.pextClient);
  }
  return out;
}

ParseResult decodeDrsBindReply(ByteSpan stub, DrsBindReply& out, const Caps& caps) {
  StubIn in(stub, caps);
  out = {};
  // [out] DRS_EXTENSIONS**: the outer pointer has no wire form, the inner one is unique.
  if (ndr::readPointer(in.r)) {
    out.ppextServer.emplace();
    detail::readExtensions(in, *out.ppextServer);
  }
  out.phDrs.read(in.r);
  in.r.align(4);
  out.returnValue = in.r.u32();
  return in.result("DRSBind reply");
}

Bytes encodeDrsBindReply(const DrsBindReply& in) {
  Bytes out;
  ByteWriter w(out);
  ndr::Referents refs;
  refs.write(w, in.ppextServer.has_value());
  if (in.ppextServer) {
    detail::writeExtensions(w, *in.ppextServer);
  }
  in.phDrs.write(w);
  w.align(4);
  w.u32(in.returnValue);
  return out;
}

ParseResult decodeDrsUnbindRequest(ByteSpan stub, DrsUnbindRequest& out, const Caps& caps) {
  StubIn in(stub, caps);
  out = {};
  out.phDrs.read(in.r);
  return in.result("DRSUnbind request");
}

Bytes encodeDrsUnbindRequest(const DrsUnbindRequest& in) {
  Bytes out;
  ByteWriter w(out);
  in.phDrs.write(w);
  return out;
}

ParseResult decodeDrsUnbindReply(ByteSpan stub, DrsUnbindReply& out, const Caps& caps) {
  StubIn in(stub, caps);
  out = {};
  out.phDrs.read(in.r);
  in.r.align(4);
  out.returnValue = in.r.u32();
  return in.result("DRSUnbind reply");
}

Bytes encodeDrsUnbindReply(const DrsUnbindReply& in) {
  Bytes out;
  ByteWriter w(out);
  in.phDrs.write(w);
  w.align(4);
  w.u32(in.returnValue);
  return out;
}

}  // namespace bh::mapi::drsuapi
