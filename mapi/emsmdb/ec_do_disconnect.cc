#include "mapi/emsmdb/ec_do_disconnect.h"

#include "mapi/emsmdb/stub_result.h"

namespace bh::mapi::emsmdb {

ParseResult decodeEcDoDisconnectRequest(ByteSpan stub, EcDoDisconnectRequest& out) {
  ByteReader r(stub);
  out = {};
  out.pcxh.read(r);
  return stubResult(r, false, stub.size(), "");
}

Bytes encodeEcDoDisconnectRequest(const EcDoDisconnectRequest& in) {
  Bytes out;
  ByteWriter w(out);
  in.pcxh.write(w);
  return out;
}

ParseResult decodeEcDoDisconnectResponse(ByteSpan stub, EcDoDisconnectResponse& out) {
  ByteReader r(stub);
  out = {};
  out.pcxh.read(r);
  out.returnValue = r.u32();
  return stubResult(r, false, stub.size(), "");
}

Bytes encodeEcDoDisconnectResponse(const EcDoDisconnectResponse& in) {
  Bytes out;
  ByteWriter w(out);
  in.pcxh.write(w);
  w.u32(in.returnValue);
  return out;
}

}  // namespace bh::mapi::emsmdb
