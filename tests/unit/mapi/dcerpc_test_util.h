#pragma once

// Helpers shared by the DCE/RPC and EPM unit tests: vector files and sample PDUs.

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "mapi/dcerpc/pdu.h"
#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/dcerpc/pdu_decoder.h"
#include "mapi/dcerpc/well_known.h"

namespace bh::mapi::dcerpc::testing {

inline std::string vectorPath(const std::string& kind, const std::string& name,
                              const std::string& file) {
  return std::string(BH_SOURCE_DIR) + "/tests/vectors/" + kind + "/" + name + "/" + file;
}

inline Bytes readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline Bytes hex(const std::string& h) {
  Bytes b;
  fromHex(h, b);
  return b;
}

inline Header header(PType t, uint32_t callId, Endian e, uint8_t flags = 0x03) {
  Header h;
  h.ptype = t;
  h.callId = callId;
  h.pfcFlags = flags;
  h.setEndian(e);
  return h;
}

inline Pdu bindPdu(Endian e, uint32_t callId = 1, PType t = PType::Bind) {
  Pdu p;
  p.header = header(t, callId, e);
  Bind b;
  b.maxXmitFrag = 5840;
  b.maxRecvFrag = 5840;
  b.assocGroupId = 0x1234;
  b.contexts.push_back({0, 0, syntax::emsmdb(), {syntax::ndr()}});
  b.contexts.push_back({1, 0, syntax::emsmdb(), {syntax::ndr64(), syntax::ndr()}});
  p.body = b;
  return p;
}

inline Pdu bindAckPdu(Endian e, uint32_t callId = 1, PType t = PType::BindAck) {
  Pdu p;
  p.header = header(t, callId, e);
  BindAck a;
  a.maxXmitFrag = 5840;
  a.maxRecvFrag = 4280;
  a.assocGroupId = 0x5678;
  a.secondaryAddress = t == PType::BindAck ? std::string("6001\0", 5) : std::string();
  a.results.push_back({0, 0, syntax::ndr()});
  a.results.push_back({2, 2, SyntaxId{}});
  p.body = a;
  return p;
}

inline Pdu requestPdu(Endian e, uint32_t callId, Bytes stub, uint8_t flags = 0x03,
                      uint16_t opnum = 11) {
  Pdu p;
  p.header = header(PType::Request, callId, e, flags);
  Request q;
  q.allocHint = static_cast<uint32_t>(stub.size());
  q.contextId = 0;
  q.opnum = opnum;
  q.stub = std::move(stub);
  p.body = q;
  return p;
}

inline Pdu responsePdu(Endian e, uint32_t callId, Bytes stub, uint8_t flags = 0x03) {
  Pdu p;
  p.header = header(PType::Response, callId, e, flags);
  Response r;
  r.allocHint = static_cast<uint32_t>(stub.size());
  r.stub = std::move(stub);
  p.body = r;
  return p;
}

inline Bytes encode(const Pdu& p) {
  return encodePdu(p).value();
}

inline Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) {
    b[i] = static_cast<uint8_t>(seed + i * 13);
  }
  return b;
}

/// Records everything a PduDecoder delivers.
class RecordingCallbacks : public PduDecoderCallbacks {
 public:
  void onPdu(const Pdu& pdu, ByteSpan raw) override {
    pdus.push_back(pdu);
    raws.emplace_back(raw.begin(), raw.end());
  }
  void onCall(Call&& call) override { calls.push_back(std::move(call)); }

  std::vector<Pdu> pdus;
  std::vector<Bytes> raws;
  std::vector<Call> calls;
};

}  // namespace bh::mapi::dcerpc::testing
