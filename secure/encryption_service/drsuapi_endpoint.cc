#include "secure/encryption_service/drsuapi_endpoint.h"

#include <cstdio>

#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/dcerpc/well_known.h"
#include "mapi/drsuapi/constants.h"
#include "mapi/epm/ept_map.h"

namespace bh::secure::encryption_service {

namespace dce = mapi::dcerpc;
namespace drs = mapi::drsuapi;
namespace epm = mapi::epm;

bool readPdu(RpcTransport& t, Bytes& out, std::string& why) {
  out.clear();
  if (!t.receive(dce::kHeaderSize, out, why)) {
    return false;
  }
  bool little = (out[4] & 0x10) != 0;
  size_t len = little ? (out[8] | (out[9] << 8)) : ((out[8] << 8) | out[9]);
  if (len < dce::kHeaderSize) {
    why = "a PDU shorter than its header";
    return false;
  }
  return t.receive(len - dce::kHeaderSize, out, why);
}

std::optional<epm::Endpoint> lookupDrsuapiEndpoint(RpcTransport& t, const std::string& address,
                                                   std::string& why) {
  if (!t.connect(address, kEndpointMapperPort, why)) {
    return std::nullopt;
  }
  dce::Pdu bind;
  bind.header.ptype = dce::PType::Bind;
  bind.header.callId = 1;
  dce::Bind b;
  b.maxXmitFrag = 5840;
  b.maxRecvFrag = 5840;
  b.contexts.push_back({0, 0, dce::syntax::epm(), {dce::syntax::ndr()}});
  bind.body = b;
  Bytes in;
  dce::Pdu ack;
  if (!t.send(*dce::encodePdu(bind), why) || !readPdu(t, in, why)) {
    return std::nullopt;
  }
  if (!dce::decodePdu(in, ack).ok() || ack.ptype() != dce::PType::BindAck ||
      ack.bindAck()->results.empty() || ack.bindAck()->results[0].result != 0) {
    why = "the endpoint mapper refused the bind";
    return std::nullopt;
  }
  epm::EptMapRequest q;
  q.object = dce::Uuid{};
  q.mapTower.tower = epm::tcpIpTower(drs::drsuapiInterface(), dce::syntax::ndr(),
                                     kEndpointMapperPort, {0, 0, 0, 0});
  q.maxTowers = 4;
  dce::Pdu req;
  req.header.callId = 2;
  dce::Request r;
  r.opnum = epm::kEptMapOpnum;
  r.stub = *epm::encodeEptMapRequest(q, Endian::Little);
  r.allocHint = static_cast<uint32_t>(r.stub.size());
  req.body = r;
  dce::Pdu resp;
  if (!t.send(*dce::encodePdu(req), why) || !readPdu(t, in, why)) {
    return std::nullopt;
  }
  if (!dce::decodePdu(in, resp).ok() || resp.ptype() != dce::PType::Response) {
    why = "the endpoint mapper did not answer ept_map";
    return std::nullopt;
  }
  epm::EptMapResponse m;
  if (!epm::decodeEptMapResponse(resp.response()->stub, Endian::Little, m).ok()) {
    why = "the ept_map answer does not decode";
    return std::nullopt;
  }
  auto ep = epm::mappedEndpoint(m);
  if (!ep || ep->port == 0) {
    char status[16];
    std::snprintf(status, sizeof(status), "0x%08x", m.status);
    why = std::string("the endpoint mapper knows no DRSUAPI endpoint (status ") + status + ")";
    return std::nullopt;
  }
  t.close();
  return ep;
}

}  // namespace bh::secure::encryption_service
