#pragma once

// One-line descriptions of what crosses the MAPI AO, for `debug accelerator mapi`: the
// DCE/RPC layer (C706 12.6), the EMSMDB layer (MS-OXCRPC 3.1.4.2, 2.2.2.1) and the ROP layer
// (MS-OXCROPS 2.2). Structure only - types, ids, flags, sizes, ROP names, handles - never a
// payload byte. Pure functions; input that does not decode is described as such, with the
// codec's reason.

#include <cstdint>
#include <string>

#include "common/bytes.h"

namespace bh::mapi::mapi_ao {

/// A server object handle as the debug lines print it: "0x00000a01".
std::string hexHandle(uint32_t handle);

/// "request call_id=7 ctx=1 opnum=11 flags=first,last frag=1240 stub=1200 auth=none".
std::string describePdu(ByteSpan pdu);
/// "EcDoRpcExt2 pulFlags=0x00000003 cbIn=312 pcbOut=262144 cbAuxIn=0 rgbIn=[304/304 last]".
std::string describeEcDoRpcExt2Request(ByteSpan stub);
/// "EcDoRpcExt2 answer ReturnValue=0x00000000 pulFlags=0x0 cbOut=31800 rgbOut=[..]".
std::string describeEcDoRpcExt2Response(ByteSpan stub);
/// "RopOpenStream(in=0x00000a01) RopReadStream(in=#2 new) handles=[0x00000a01,new]".
std::string describeRopRequests(ByteSpan ecDoRpcExt2RequestStub);
/// "RopReadStream rv=0x00000000 handles=[..]". Some answers' layout depends on the request
/// (RopGetPropertiesSpecific's tags, the columns a RopQueryRows returns): `request`, the
/// call's own stub, supplies what it can; past an answer still unknown the list says so.
std::string describeRopResponses(ByteSpan ecDoRpcExt2ResponseStub, ByteSpan request = {});

}  // namespace bh::mapi::mapi_ao
