// Fuzz target: the EMSMDB stub codecs (MS-OXCRPC 3.1.4.1-3.1.4.3). The first byte picks the
// stub (0 EcDoConnectEx request, 1 its response, 2 EcDoRpcExt2 request, 3 its response,
// 4 EcDoDisconnect request, 5 its response); the rest is the stub. Whatever decodes must
// re-encode to something that decodes back to the same value, and the consumed length must fit.
#include <cstdint>
#include <cstdlib>

#include "mapi/emsmdb/client_version.h"
#include "mapi/emsmdb/ec_do_connect_ex.h"
#include "mapi/emsmdb/ec_do_disconnect.h"
#include "mapi/emsmdb/ec_do_rpc_ext2.h"

using namespace bh;
using namespace bh::mapi::emsmdb;

namespace {

template <class Msg, class Decode, class Encode>
void check(ByteSpan stub, Decode decode, Encode encode) {
  Msg m;
  ParseResult r = decode(stub, m);
  if (r.status == ParseStatus::NeedMore && r.needed <= stub.size()) {
    std::abort();
  }
  if (!r.ok()) {
    return;
  }
  if (r.consumed > stub.size()) {
    std::abort();
  }
  Bytes wire = encode(m);
  Msg back;
  ParseResult again = decode(wire, back);
  if (!again.ok() || again.consumed != wire.size() || !(back == m)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  StubLimits limits;
  ByteSpan stub(data + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      check<EcDoConnectExRequest>(
          stub, [&](ByteSpan s, auto& m) { return decodeEcDoConnectExRequest(s, m, limits); },
          [](const auto& m) { return encodeEcDoConnectExRequest(m); });
      {
        EcDoConnectExRequest m;
        if (decodeEcDoConnectExRequest(stub, m).ok()) {
          (void)sessionClass(decodeClientVersion(m.rgwClientVersion));
        }
      }
      break;
    case 1:
      check<EcDoConnectExResponse>(
          stub, [&](ByteSpan s, auto& m) { return decodeEcDoConnectExResponse(s, m, limits); },
          [](const auto& m) { return encodeEcDoConnectExResponse(m); });
      break;
    case 2:
      check<EcDoRpcExt2Request>(
          stub, [&](ByteSpan s, auto& m) { return decodeEcDoRpcExt2Request(s, m, limits); },
          [](const auto& m) { return encodeEcDoRpcExt2Request(m); });
      break;
    case 3:
      check<EcDoRpcExt2Response>(
          stub, [&](ByteSpan s, auto& m) { return decodeEcDoRpcExt2Response(s, m, limits); },
          [](const auto& m) { return encodeEcDoRpcExt2Response(m); });
      break;
    case 4:
      check<EcDoDisconnectRequest>(
          stub, [](ByteSpan s, auto& m) { return decodeEcDoDisconnectRequest(s, m); },
          [](const auto& m) { return encodeEcDoDisconnectRequest(m); });
      break;
    default:
      check<EcDoDisconnectResponse>(
          stub, [](ByteSpan s, auto& m) { return decodeEcDoDisconnectResponse(s, m); },
          [](const auto& m) { return encodeEcDoDisconnectResponse(m); });
      break;
  }
  return 0;
}
