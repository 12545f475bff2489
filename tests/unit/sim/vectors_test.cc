// outlook-sim's recorded open-attachment conversation (tests/vectors/sim/open_attachment),
// decoded by the appliance's codecs: every PDU frames, every EMSMDB call decodes with
// mapi/emsmdb, every ROP buffer with mapi/rop, and the ReadStream data is the generator's.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>

#include "mapi/dcerpc/co_stream.h"
#include "mapi/emsmdb/ec_do_connect_ex.h"
#include "mapi/emsmdb/ec_do_rpc_ext2.h"
#include "mapi/emsmdb/rpc_header_ext.h"
#include "mapi/rop/rop_buffer.h"
#include "sim/content.h"
#include "sim/mailbox.h"

using namespace bh;
using namespace bh::mapi;

namespace {

Bytes simVector(const std::string& file) {
  std::ifstream in(std::string(BH_SOURCE_DIR) + "/tests/vectors/sim/open_attachment/" + file,
                   std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// One direction of a recorded conversation through the appliance's DCE/RPC stream engine.
struct Calls {
  explicit Calls(dcerpc::Sender sender) : stream(sender) {}
  ParseResult onData(ByteSpan data) {
    ParseResult r = stream.feed(data);
    dcerpc::StreamPdu item;
    while (r.ok() && (r = stream.next(item)).ok()) {
      types.push_back(item.pdu.ptype());
      if (item.call) {
        calls.push_back(std::move(*item.call));
      }
    }
    return r.status == ParseStatus::NeedMore ? ParseResult::done(data.size()) : r;
  }
  dcerpc::CoStream stream;
  std::vector<dcerpc::PType> types;
  std::vector<dcerpc::Call> calls;
};

/// The plain ROP buffer of an extended buffer (rgbIn / rgbOut).
Bytes ropBuffer(ByteSpan extended) {
  Bytes out;
  REQUIRE(emsmdb::decodeExtendedPayload(extended, out).ok());
  return out;
}

}  // namespace

TEST_CASE("recorded open-attachment: appliance codecs decode it and the data is exact") {
  Bytes streamed;
  size_t ropCalls = 0;
  for (const char* conn : {"main", "bulk"}) {
    CAPTURE(conn);
    Calls up(dcerpc::Sender::Client);
    Calls down(dcerpc::Sender::Server);
    REQUIRE(up.onData(simVector(std::string(conn) + ".client.bin")).ok());
    REQUIRE(down.onData(simVector(std::string(conn) + ".server.bin")).ok());
    CHECK(up.types.front() == dcerpc::PType::Bind);
    CHECK(down.types.front() == dcerpc::PType::BindAck);
    REQUIRE(up.calls.size() == down.calls.size());
    REQUIRE(!up.calls.empty());
    for (size_t i = 0; i < up.calls.size(); ++i) {
      const auto& q = up.calls[i];
      const auto& r = down.calls[i];
      CHECK(q.callId == r.callId);
      if (q.opnum == emsmdb::kOpnumEcDoConnectEx) {
        emsmdb::EcDoConnectExRequest cq;
        REQUIRE(emsmdb::decodeEcDoConnectExRequest(q.stub, cq).ok());
        CHECK(cq.rgwClientVersion == std::array<uint16_t, 3>{16, 4266, 1001});
        emsmdb::EcDoConnectExResponse cr;
        REQUIRE(emsmdb::decodeEcDoConnectExResponse(r.stub, cr).ok());
        CHECK(cr.returnValue == 0);
        CHECK_FALSE(cr.pcxh.isNull());
      } else if (q.opnum == emsmdb::kOpnumEcDoRpcExt2) {
        emsmdb::EcDoRpcExt2Request xq;
        REQUIRE(emsmdb::decodeEcDoRpcExt2Request(q.stub, xq).ok());
        emsmdb::EcDoRpcExt2Response xr;
        REQUIRE(emsmdb::decodeEcDoRpcExt2Response(r.stub, xr).ok());
        REQUIRE(xr.returnValue == 0);
        rop::RopRequestBuffer rq;
        REQUIRE(rop::decodeRequestBuffer(ropBuffer(xq.rgbIn), rq).ok());
        rop::RopResponseBuffer rr;
        REQUIRE(
            rop::decodeResponseBuffer(ropBuffer(xr.rgbOut), rr, rop::responseContextFor(rq)).ok());
        ++ropCalls;
        for (const auto& x : rr.rops) {
          if (const auto* rs = std::get_if<rop::RopReadStreamResponse>(&x)) {
            CHECK(rs->data.size() <= 31744);
            streamed.insert(streamed.end(), rs->data.begin(), rs->data.end());
          }
        }
      }
    }
  }
  CHECK(ropCalls >= 4 + 100000 / 31744);
  CHECK(streamed == sim::makeContent(sim::attachmentSeed(100000), 100000));
}
