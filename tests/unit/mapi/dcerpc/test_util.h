#pragma once

// Helpers shared by the DCE/RPC and EPM unit tests: vector files and sample PDUs.

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "mapi/dcerpc/co_stream.h"
#include "mapi/dcerpc/pdu.h"
#include "mapi/dcerpc/pdu_codec.h"
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

/// Feeds a CoStream and takes everything it hands out, recording it.
class StreamDriver {
 public:
  explicit StreamDriver(Sender sender = Sender::Client, StreamLimits limits = {})
      : stream(sender, limits) {}
  /// Feeds `data` and takes every whole PDU: Done, or the first error (of feed or next).
  ParseResult onData(ByteSpan data) {
    ParseResult fed = stream.feed(data);
    StreamPdu item;
    ParseResult r;
    while ((r = stream.next(item)).ok()) {
      pdus.push_back(item.pdu);
      raws.push_back(item.raw);
      items.push_back(item);
      for (Call& c : item.abandoned) {
        abandoned.push_back(std::move(c));
      }
      if (item.call) {
        calls.push_back(std::move(*item.call));
      }
    }
    if (r.status == ParseStatus::Error) {
      return r;
    }
    return fed.ok() ? ParseResult::done(data.size()) : fed;
  }

  CoStream stream;
  std::vector<Pdu> pdus;
  std::vector<Bytes> raws;
  std::vector<StreamPdu> items;
  std::vector<Call> calls;
  std::vector<Call> abandoned;
};

}  // namespace bh::mapi::dcerpc::testing
