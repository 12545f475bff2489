#include "mapi/rop/rop_buffer.h"

#include <string>

namespace bh::mapi::rop {

namespace {

constexpr size_t kRopSizeField = 2;

// Splits the buffer and reads the handle table; the RopsList region comes back in `list`.
ParseResult frame(ByteSpan in, const RopLimits& limits, ByteSpan& list,
                  std::vector<uint32_t>& handles) {
  if (in.size() < kRopSizeField) {
    return ParseResult::needMore(kRopSizeField);
  }
  size_t ropSize = static_cast<size_t>(in[0] | (in[1] << 8));
  if (ropSize < kRopSizeField) {
    return ParseResult::fail("ROP buffer: RopSize below 2");
  }
  if (in.size() < ropSize) {
    return ParseResult::needMore(ropSize);
  }
  size_t tableBytes = in.size() - ropSize;
  if (tableBytes % 4 != 0) {
    return ParseResult::fail("ROP buffer: handle table is not a whole number of handles");
  }
  if (tableBytes / 4 > limits.maxHandles) {
    return ParseResult::fail("ROP buffer: too many server object handles");
  }
  list = in.subspan(kRopSizeField, ropSize - kRopSizeField);
  ByteReader t(in.subspan(ropSize));
  handles.resize(tableBytes / 4);
  for (auto& h : handles) {
    h = t.u32();
  }
  return ParseResult::done(in.size());
}

std::string hex2(uint8_t v) {
  const char* digits = "0123456789abcdef";
  return std::string{'0', 'x', digits[v >> 4], digits[v & 15]};
}

template <class Rop, class DecodeOne>
ParseResult decodeList(ByteSpan list, const RopLimits& limits, std::vector<Rop>& rops,
                       std::optional<uint8_t>& unsupported, DecodeOne decodeOne) {
  ByteReader r(list);
  while (r.remaining() > 0) {
    if (rops.size() >= limits.maxRops) {
      return ParseResult::fail("ROP buffer: too many ROPs");
    }
    Rop rop;
    uint8_t id = 0;
    RopDecodeStatus s = decodeOne(r, rop, id);
    if (s == RopDecodeStatus::Unsupported) {
      unsupported = id;
      return ParseResult::fail("ROP buffer: unsupported ROP " + hex2(id));
    }
    if (s == RopDecodeStatus::Malformed) {
      const char* name = ropName(id);
      return ParseResult::fail(std::string("ROP buffer: malformed ") + (name ? name : "ROP"));
    }
    rops.push_back(std::move(rop));
  }
  return ParseResult::done(list.size());
}

void writeTable(ByteWriter& w, const std::vector<uint32_t>& handles) {
  for (uint32_t h : handles) {
    w.u32(h);
  }
}

}  // namespace

ParseResult decodeRequestBuffer(ByteSpan in, RopRequestBuffer& out, const RopLimits& limits) {
  out = {};
  ByteSpan list;
  ParseResult f = frame(in, limits, list, out.serverObjectHandleTable);
  if (!f.ok()) {
    return f;
  }
  ParseResult l = decodeList(
      list, limits, out.rops, out.unsupportedRopId,
      [](ByteReader& r, RopRequest& rop, uint8_t& id) { return decodeRequest(r, rop, id); });
  return l.ok() ? f : l;
}

Bytes encodeRequestBuffer(const RopRequestBuffer& in) {
  Bytes out;
  ByteWriter w(out);
  w.u16(0);
  for (const auto& rop : in.rops) {
    encodeRequest(w, rop);
  }
  w.patch16(0, static_cast<uint16_t>(out.size()));
  writeTable(w, in.serverObjectHandleTable);
  return out;
}

ParseResult decodeResponseBuffer(ByteSpan in, RopResponseBuffer& out, const ResponseContext& ctx,
                                 const RopLimits& limits) {
  out = {};
  ByteSpan list;
  ParseResult f = frame(in, limits, list, out.serverObjectHandleTable);
  if (!f.ok()) {
    return f;
  }
  ParseResult l = decodeList(list, limits, out.rops, out.unsupportedRopId,
                             [&ctx](ByteReader& r, RopResponse& rop, uint8_t& id) {
                               return decodeResponse(r, rop, id, ctx);
                             });
  return l.ok() ? f : l;
}

Bytes encodeResponseBuffer(const RopResponseBuffer& in) {
  Bytes out;
  ByteWriter w(out);
  w.u16(0);
  for (const auto& rop : in.rops) {
    encodeResponse(w, rop);
  }
  w.patch16(0, static_cast<uint16_t>(out.size()));
  writeTable(w, in.serverObjectHandleTable);
  return out;
}

ResponseContext responseContextFor(const RopRequestBuffer& request) {
  ResponseContext ctx;
  for (const auto& rop : request.rops) {
    if (const auto* g = std::get_if<RopGetPropertiesSpecificRequest>(&rop)) {
      ctx.propertyTags[g->inputHandleIndex] = g->propertyTags;
    } else if (const auto* s = std::get_if<RopSetColumnsRequest>(&rop)) {
      ctx.columns[s->inputHandleIndex] = s->propertyTags;
    }
  }
  return ctx;
}

}  // namespace bh::mapi::rop
