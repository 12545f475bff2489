#include "mapi/emsmdb/ec_do_rpc_ext2.h"

#include "mapi/emsmdb/stub_result.h"

namespace bh::mapi::emsmdb {

ParseResult decodeEcDoRpcExt2Request(ByteSpan stub, EcDoRpcExt2Request& out,
                                     const StubLimits& limits) {
  ByteReader r(stub);
  bool bad = false;
  out = {};
  out.pcxh.read(r);
  out.pulFlags = r.u32();
  ndr::readConformantBytes(r, out.rgbIn, limits.maxRopBuffer, bad);
  r.align(4);
  uint32_t cbIn = r.u32();
  out.pcbOut = r.u32();
  ndr::readConformantBytes(r, out.rgbAuxIn, limits.maxAuxBuffer, bad);
  r.align(4);
  uint32_t cbAuxIn = r.u32();
  out.pcbAuxOut = r.u32();
  if (r.ok() && (cbIn != out.rgbIn.size() || cbAuxIn != out.rgbAuxIn.size() ||
                 out.pcbOut > limits.maxRopBuffer || out.pcbAuxOut > limits.maxAuxBuffer)) {
    bad = true;
  }
  return stubResult(r, bad, stub.size(), "EcDoRpcExt2 request: malformed stub");
}

Bytes encodeEcDoRpcExt2Request(const EcDoRpcExt2Request& in) {
  Bytes out;
  ByteWriter w(out);
  in.pcxh.write(w);
  w.u32(in.pulFlags);
  ndr::writeConformantBytes(w, in.rgbIn);
  w.align(4);
  w.u32(static_cast<uint32_t>(in.rgbIn.size()));
  w.u32(in.pcbOut);
  ndr::writeConformantBytes(w, in.rgbAuxIn);
  w.align(4);
  w.u32(static_cast<uint32_t>(in.rgbAuxIn.size()));
  w.u32(in.pcbAuxOut);
  return out;
}

ParseResult decodeEcDoRpcExt2Response(ByteSpan stub, EcDoRpcExt2Response& out,
                                      const StubLimits& limits) {
  ByteReader r(stub);
  bool bad = false;
  out = {};
  out.pcxh.read(r);
  out.pulFlags = r.u32();
  ndr::readVaryingBytes(r, out.outHeader, out.rgbOut, limits.maxRopBuffer, bad);
  r.align(4);
  uint32_t pcbOut = r.u32();
  ndr::readVaryingBytes(r, out.auxOutHeader, out.rgbAuxOut, limits.maxAuxBuffer, bad);
  r.align(4);
  uint32_t pcbAuxOut = r.u32();
  out.pulTransTime = r.u32();
  out.returnValue = r.u32();
  if (r.ok() && (pcbOut != out.rgbOut.size() || pcbAuxOut != out.rgbAuxOut.size())) {
    bad = true;  // length_is(*pcbOut), length_is(*pcbAuxOut)
  }
  return stubResult(r, bad, stub.size(), "EcDoRpcExt2 response: malformed stub");
}

Bytes encodeEcDoRpcExt2Response(const EcDoRpcExt2Response& in) {
  Bytes out;
  ByteWriter w(out);
  in.pcxh.write(w);
  w.u32(in.pulFlags);
  ndr::writeVaryingBytes(w, in.outHeader, in.rgbOut);
  w.align(4);
  w.u32(static_cast<uint32_t>(in.rgbOut.size()));
  ndr::writeVaryingBytes(w, in.auxOutHeader, in.rgbAuxOut);
  w.align(4);
  w.u32(static_cast<uint32_t>(in.rgbAuxOut.size()));
  w.u32(in.pulTransTime);
  w.u32(in.returnValue);
  return out;
}

EcDoRpcExt2Response makeEcDoRpcExt2Response(const EcDoRpcExt2Request& request, Bytes rgbOut,
                                            Bytes rgbAuxOut) {
  EcDoRpcExt2Response resp;
  resp.pcxh = request.pcxh;
  resp.outHeader = {request.pcbOut, 0, static_cast<uint32_t>(rgbOut.size())};
  resp.auxOutHeader = {request.pcbAuxOut, 0, static_cast<uint32_t>(rgbAuxOut.size())};
  resp.rgbOut = std::move(rgbOut);
  resp.rgbAuxOut = std::move(rgbAuxOut);
  return resp;
}

}  // namespace bh::mapi::emsmdb
