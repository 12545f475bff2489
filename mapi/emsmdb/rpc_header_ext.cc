#include "mapi/emsmdb/rpc_header_ext.h"

#include "mapi/emsmdb/lz77.h"
#include "mapi/emsmdb/xor_magic.h"

namespace bh::mapi::emsmdb {

namespace {
constexpr uint16_t kKnownFlags =
    kRpcHeaderExtCompressed | kRpcHeaderExtXorMagic | kRpcHeaderExtLast;
}

ParseResult decodeRpcHeaderExt(ByteSpan in, RpcHeaderExt& out) {
  if (in.size() < kRpcHeaderExtSize) {
    return ParseResult::needMore(kRpcHeaderExtSize);
  }
  ByteReader r(in);
  out.version = r.u16();
  out.flags = r.u16();
  out.size = r.u16();
  out.sizeActual = r.u16();
  if (out.version != kRpcHeaderExtVersion) {
    return ParseResult::fail("RPC_HEADER_EXT: version is not 0");
  }
  if ((out.flags & ~kKnownFlags) != 0) {
    return ParseResult::fail("RPC_HEADER_EXT: unknown flags");
  }
  if (out.compressed() ? out.size >= out.sizeActual : out.size != out.sizeActual) {
    return ParseResult::fail("RPC_HEADER_EXT: Size and SizeActual disagree");
  }
  return ParseResult::done(kRpcHeaderExtSize);
}

void encodeRpcHeaderExt(ByteWriter& w, const RpcHeaderExt& h) {
  w.u16(h.version);
  w.u16(h.flags);
  w.u16(h.size);
  w.u16(h.sizeActual);
}

ParseResult decodeExtendedBuffer(ByteSpan in, std::vector<ExtendedPiece>& out,
                                 const ExtendedBufferLimits& limits) {
  out.clear();
  size_t pos = 0;
  size_t totalPlain = 0;
  while (true) {
    if (out.size() >= limits.maxPieces) {
      return ParseResult::fail("extended buffer: too many pieces");
    }
    ExtendedPiece piece;
    ParseResult h = decodeRpcHeaderExt(in.subspan(pos), piece.header);
    if (h.status == ParseStatus::NeedMore) {
      return ParseResult::needMore(pos + kRpcHeaderExtSize);
    }
    if (!h.ok()) {
      return h;
    }
    // Check the caps before touching (or allocating for) the payload.
    totalPlain += piece.header.sizeActual;
    if (totalPlain > limits.maxTotalPlain) {
      return ParseResult::fail("extended buffer: decompressed size above the cap");
    }
    size_t need = pos + kRpcHeaderExtSize + piece.header.size;
    if (in.size() < need) {
      return ParseResult::needMore(need);
    }
    ByteSpan wire = in.subspan(pos + kRpcHeaderExtSize, piece.header.size);
    piece.wire.assign(wire.begin(), wire.end());
    Bytes clear = piece.wire;
    if (piece.header.xorMagic()) {
      xorMagic(clear);
    }
    if (piece.header.compressed()) {
      ParseResult d = lz77::decompress(clear, piece.header.sizeActual, piece.plain);
      if (!d.ok()) {
        return d;
      }
    } else {
      piece.plain = std::move(clear);
    }
    pos = need;
    bool last = piece.header.last();
    out.push_back(std::move(piece));
    if (last) {
      break;
    }
  }
  if (pos != in.size()) {
    return ParseResult::fail("extended buffer: bytes after the Last piece");
  }
  return ParseResult::done(pos);
}

ParseResult decodeExtendedPayload(ByteSpan in, Bytes& plain, const ExtendedBufferLimits& limits) {
  plain.clear();
  std::vector<ExtendedPiece> pieces;
  ParseResult r = decodeExtendedBuffer(in, pieces, limits);
  if (!r.ok()) {
    return r;
  }
  for (const auto& p : pieces) {
    plain.insert(plain.end(), p.plain.begin(), p.plain.end());
  }
  return r;
}

Bytes encodeExtendedBuffer(const std::vector<ExtendedPiece>& pieces) {
  Bytes out;
  ByteWriter w(out);
  for (const ExtendedPiece& p : pieces) {
    encodeRpcHeaderExt(w, p.header);
    w.bytes(p.wire);
  }
  return out;
}

ParseResult makeExtendedPiece(ByteSpan plain, const ExtendedEncodeOptions& options, bool last,
                              ExtendedPiece& out) {
  if (plain.size() > 0xffff) {
    return ParseResult::fail("extended buffer: payload above 65535 bytes");
  }
  out = {};
  out.plain.assign(plain.begin(), plain.end());
  out.header.flags = last ? kRpcHeaderExtLast : 0;
  out.header.sizeActual = static_cast<uint16_t>(plain.size());
  out.wire = out.plain;
  if (options.compress) {
    Bytes packed = lz77::compress(plain);
    if (packed.size() < plain.size()) {
      out.wire = std::move(packed);
      out.header.flags |= kRpcHeaderExtCompressed;
    }
  }
  if (options.xorMagic) {
    xorMagic(out.wire);
    out.header.flags |= kRpcHeaderExtXorMagic;
  }
  out.header.size = static_cast<uint16_t>(out.wire.size());
  return ParseResult::done(kRpcHeaderExtSize + out.wire.size());
}

ParseResult encodeExtendedPayloads(const std::vector<Bytes>& payloads,
                                   const ExtendedEncodeOptions& options, Bytes& out) {
  std::vector<ExtendedPiece> pieces;
  for (size_t i = 0; i < payloads.size(); ++i) {
    ExtendedPiece p;
    ParseResult r = makeExtendedPiece(payloads[i], options, i + 1 == payloads.size(), p);
    if (!r.ok()) {
      return r;
    }
    pieces.push_back(std::move(p));
  }
  if (pieces.empty()) {
    return ParseResult::fail("extended buffer: no payload");
  }
  out = encodeExtendedBuffer(pieces);
  return ParseResult::done(out.size());
}

}  // namespace bh::mapi::emsmdb
