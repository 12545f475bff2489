#include "sim/oxcrpc.h"

#include <algorithm>

#include "mapi/emsmdb/lz77.h"

namespace bh::sim::oxcrpc {

namespace {

// NDR [string] char*: MaxCount, Offset, ActualCount (NUL included), chars (C706 14.3.4).
void writeString(ByteWriter& w, const std::string& s) {
  w.align(4);
  uint32_t n = static_cast<uint32_t>(s.size() + 1);
  w.u32(n);
  w.u32(0);
  w.u32(n);
  w.bytes(ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  w.u8(0);
}

bool readString(ByteReader& r, std::string& s) {
  r.align(4);
  uint32_t max = r.u32();
  uint32_t offset = r.u32();
  uint32_t actual = r.u32();
  if (!r.ok() || offset != 0 || actual == 0 || actual > max || actual > 4096) {
    return false;
  }
  ByteSpan b = r.take(actual);
  if (!r.ok() || b.back() != 0) {
    return false;
  }
  s.assign(b.begin(), b.end() - 1);
  return true;
}

bool readConformant(ByteReader& r, Bytes& out, uint32_t cap) {
  r.align(4);
  uint32_t n = r.u32();
  if (!r.ok() || n > cap) {
    return false;
  }
  ByteSpan b = r.take(n);
  out.assign(b.begin(), b.end());
  return r.ok();
}

void writeConformant(ByteWriter& w, ByteSpan b) {
  w.align(4);
  w.u32(static_cast<uint32_t>(b.size()));
  w.bytes(b);
}

bool readVarying(ByteReader& r, uint32_t& max, Bytes& out, uint32_t cap) {
  r.align(4);
  max = r.u32();
  uint32_t offset = r.u32();
  uint32_t actual = r.u32();
  if (!r.ok() || offset != 0 || actual > max || actual > cap) {
    return false;
  }
  ByteSpan b = r.take(actual);
  out.assign(b.begin(), b.end());
  return r.ok();
}

void writeVarying(ByteWriter& w, uint32_t max, ByteSpan b) {
  w.align(4);
  w.u32(std::max<uint32_t>(max, static_cast<uint32_t>(b.size())));
  w.u32(0);
  w.u32(static_cast<uint32_t>(b.size()));
  w.bytes(b);
}

void readCxh(ByteReader& r, Cxh& c) {
  ByteSpan b = r.take(20);
  if (r.ok()) {
    std::copy(b.begin(), b.end(), c.begin());
  }
}

}  // namespace

Bytes encode(const ConnectExRequest& q) {
  Bytes out;
  ByteWriter w(out);
  writeString(w, q.userDn);
  w.align(4);
  w.u32(q.flags);
  w.u32(q.conMod);
  w.u32(q.cbLimit);
  w.u32(q.cpid);
  w.u32(q.lcidString);
  w.u32(q.lcidSort);
  w.u32(q.icxrLink);
  w.u16(q.canConvertCodePages);
  for (uint16_t v : q.clientVersion) {
    w.u16(v);
  }
  w.align(4);
  w.u32(q.timeStamp);
  writeConformant(w, q.auxIn);
  w.align(4);
  w.u32(static_cast<uint32_t>(q.auxIn.size()));
  w.u32(q.cbAuxOut);
  return out;
}

bool decode(ByteSpan stub, ConnectExRequest& q) {
  ByteReader r(stub);
  if (!readString(r, q.userDn)) {
    return false;
  }
  r.align(4);
  q.flags = r.u32();
  q.conMod = r.u32();
  q.cbLimit = r.u32();
  q.cpid = r.u32();
  q.lcidString = r.u32();
  q.lcidSort = r.u32();
  q.icxrLink = r.u32();
  q.canConvertCodePages = r.u16();
  for (auto& v : q.clientVersion) {
    v = r.u16();
  }
  r.align(4);
  q.timeStamp = r.u32();
  if (!readConformant(r, q.auxIn, 0x1008)) {
    return false;
  }
  r.align(4);
  uint32_t cbAuxIn = r.u32();
  q.cbAuxOut = r.u32();
  return r.ok() && cbAuxIn == q.auxIn.size() && r.remaining() == 0;
}

Bytes encode(const ConnectExResponse& x) {
  Bytes out;
  ByteWriter w(out);
  w.bytes(x.cxh);
  w.u32(x.pollsMax);
  w.u32(x.retry);
  w.u32(x.retryDelay);
  w.u16(x.icxr);
  w.align(4);
  w.u32(0x00020000);  // unique pointer referent of szDNPrefix
  writeString(w, x.dnPrefix);
  w.align(4);
  w.u32(0x00020004);
  writeString(w, x.displayName);
  w.align(2);  // NDR aligns each primitive to its size (C706 14.2.2)
  for (uint16_t v : x.serverVersion) {
    w.u16(v);
  }
  for (uint16_t v : x.bestVersion) {
    w.u16(v);
  }
  w.align(4);
  w.u32(x.timeStamp);
  writeVarying(w, x.auxOutMax, x.auxOut);
  w.align(4);
  w.u32(static_cast<uint32_t>(x.auxOut.size()));
  w.u32(x.returnValue);
  return out;
}

bool decode(ByteSpan stub, ConnectExResponse& x) {
  ByteReader r(stub);
  readCxh(r, x.cxh);
  x.pollsMax = r.u32();
  x.retry = r.u32();
  x.retryDelay = r.u32();
  x.icxr = r.u16();
  r.align(4);
  if (r.u32() != 0 && !readString(r, x.dnPrefix)) {
    return false;
  }
  r.align(4);
  if (r.u32() != 0 && !readString(r, x.displayName)) {
    return false;
  }
  r.align(2);
  for (auto& v : x.serverVersion) {
    v = r.u16();
  }
  for (auto& v : x.bestVersion) {
    v = r.u16();
  }
  r.align(4);
  x.timeStamp = r.u32();
  if (!readVarying(r, x.auxOutMax, x.auxOut, 0x1008)) {
    return false;
  }
  r.align(4);
  uint32_t cb = r.u32();
  x.returnValue = r.u32();
  return r.ok() && cb == x.auxOut.size() && r.remaining() == 0;
}

Bytes encode(const RpcExt2Request& q) {
  Bytes out;
  ByteWriter w(out);
  w.bytes(q.cxh);
  w.u32(q.flags);
  writeConformant(w, q.in);
  w.align(4);
  w.u32(static_cast<uint32_t>(q.in.size()));
  w.u32(q.cbOut);
  writeConformant(w, q.auxIn);
  w.align(4);
  w.u32(static_cast<uint32_t>(q.auxIn.size()));
  w.u32(q.cbAuxOut);
  return out;
}

bool decode(ByteSpan stub, RpcExt2Request& q) {
  ByteReader r(stub);
  readCxh(r, q.cxh);
  q.flags = r.u32();
  if (!readConformant(r, q.in, 0x40000)) {
    return false;
  }
  r.align(4);
  uint32_t cbIn = r.u32();
  q.cbOut = r.u32();
  if (!readConformant(r, q.auxIn, 0x1008)) {
    return false;
  }
  r.align(4);
  uint32_t cbAuxIn = r.u32();
  q.cbAuxOut = r.u32();
  return r.ok() && cbIn == q.in.size() && cbAuxIn == q.auxIn.size() && r.remaining() == 0;
}

Bytes encode(const RpcExt2Response& x) {
  Bytes out;
  ByteWriter w(out);
  w.bytes(x.cxh);
  w.u32(x.flags);
  writeVarying(w, x.outMax, x.out);
  w.align(4);
  w.u32(static_cast<uint32_t>(x.out.size()));
  writeVarying(w, x.auxOutMax, x.auxOut);
  w.align(4);
  w.u32(static_cast<uint32_t>(x.auxOut.size()));
  w.u32(x.transTime);
  w.u32(x.returnValue);
  return out;
}

bool decode(ByteSpan stub, RpcExt2Response& x) {
  ByteReader r(stub);
  readCxh(r, x.cxh);
  x.flags = r.u32();
  if (!readVarying(r, x.outMax, x.out, 0x40000)) {
    return false;
  }
  r.align(4);
  uint32_t cbOut = r.u32();
  if (!readVarying(r, x.auxOutMax, x.auxOut, 0x1008)) {
    return false;
  }
  r.align(4);
  uint32_t cbAuxOut = r.u32();
  x.transTime = r.u32();
  x.returnValue = r.u32();
  return r.ok() && cbOut == x.out.size() && cbAuxOut == x.auxOut.size() && r.remaining() == 0;
}

Bytes encodeDisconnectRequest(const Cxh& cxh) {
  return Bytes(cxh.begin(), cxh.end());
}

Bytes encodeDisconnectResponse(const Cxh& cxh, uint32_t returnValue) {
  Bytes out(cxh.begin(), cxh.end());
  ByteWriter w(out);
  w.u32(returnValue);
  return out;
}

bool decodeDisconnect(ByteSpan stub, Cxh& cxh, uint32_t* returnValue) {
  ByteReader r(stub);
  readCxh(r, cxh);
  if (returnValue != nullptr) {
    *returnValue = r.u32();
  }
  return r.ok() && r.remaining() == 0;
}

Bytes wrapExtended(ByteSpan payload, bool xorMagic, bool compress) {
  Bytes body(payload.begin(), payload.end());
  uint16_t flags = kExtLast;
  if (compress) {
    // Compressed only when smaller: 2.2.2.1 requires Size < SizeActual.
    Bytes c = mapi::emsmdb::lz77::compress(payload);
    if (c.size() < payload.size()) {
      body = std::move(c);
      flags |= kExtCompressed;
    }
  }
  if (xorMagic) {
    flags |= kExtXorMagic;  // applied after compression (MS-OXCRPC 3.1.4.1.1.1)
    for (auto& b : body) {
      b ^= 0xa5;
    }
  }
  Bytes out;
  ByteWriter w(out);
  w.u16(0);  // Version
  w.u16(flags);
  w.u16(static_cast<uint16_t>(body.size()));
  w.u16(static_cast<uint16_t>(payload.size()));
  w.bytes(body);
  return out;
}

std::optional<Bytes> unwrapExtended(ByteSpan buffer) {
  Bytes out;
  ByteReader r(buffer);
  for (int pieces = 0; pieces < 96; ++pieces) {
    uint16_t version = r.u16();
    uint16_t flags = r.u16();
    uint16_t size = r.u16();
    uint16_t actual = r.u16();
    bool compressed = (flags & kExtCompressed) != 0;
    if (!r.ok() || version != 0 || (flags & ~0x7) != 0 ||
        (compressed ? size >= actual : size != actual)) {
      return std::nullopt;
    }
    ByteSpan p = r.take(size);
    if (!r.ok()) {
      return std::nullopt;
    }
    Bytes wire(p.begin(), p.end());
    if ((flags & kExtXorMagic) != 0) {
      for (auto& b : wire) {
        b ^= 0xa5;
      }
    }
    if (compressed) {
      Bytes plain;
      if (!mapi::emsmdb::lz77::decompress(wire, actual, plain).ok() || plain.size() != actual) {
        return std::nullopt;
      }
      wire = std::move(plain);
    }
    out.insert(out.end(), wire.begin(), wire.end());
    if ((flags & kExtLast) != 0) {
      return r.remaining() == 0 ? std::optional<Bytes>(std::move(out)) : std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace bh::sim::oxcrpc
