#include "mapi/epm/ept_map.h"

namespace bh::mapi::epm {
namespace {

ContextHandle readHandle(ByteReader& r) {
  ContextHandle h;
  h.attributes = r.u32();
  h.uuid = Uuid::read(r);
  return h;
}

void writeHandle(ByteWriter& w, const ContextHandle& h) {
  w.u32(h.attributes);
  h.uuid.write(w);
}

/// twr_t (C706 Appendix O): a conformant struct, so its array size comes first (NDR 14.3.7.1),
/// then tower_length, then the octets; whatever follows is 4-aligned.
ParseResult readTwr(ByteReader& r, const EpmLimits& limits, Tower& out) {
  r.align(4);
  uint32_t maxCount = r.u32();
  uint32_t towerLength = r.u32();
  if (!r.ok()) {
    return ParseResult::fail("twr_t truncated");
  }
  if (maxCount != towerLength) {
    return ParseResult::fail("twr_t conformance differs from tower_length");
  }
  if (towerLength > limits.maxTowerLength) {
    return ParseResult::fail("tower above the length cap");
  }
  ByteSpan octets = r.take(towerLength);
  if (!r.ok()) {
    return ParseResult::fail("tower octets truncated");
  }
  return decodeTower(octets, out, limits.tower);
}

bool writeTwr(ByteWriter& w, const Tower& tower) {
  auto octets = encodeTower(tower);
  if (!octets || octets->size() > 0xffffffffu) {
    return false;
  }
  w.align(4);
  w.u32(static_cast<uint32_t>(octets->size()));
  w.u32(static_cast<uint32_t>(octets->size()));
  w.bytes(*octets);
  return true;
}

ParseResult finish(ByteReader& r, ByteSpan stub, const char* what) {
  if (!r.ok()) {
    return ParseResult::fail(std::string(what) + " truncated");
  }
  if (r.remaining() != 0) {
    return ParseResult::fail(std::string("bytes after the ") + what);
  }
  return ParseResult::done(stub.size());
}

}  // namespace

ParseResult decodeEptMapRequest(ByteSpan stub, Endian endian, EptMapRequest& out,
                                const EpmLimits& limits) {
  ByteReader r(stub, endian);
  EptMapRequest q;
  q.objectReferentId = r.u32();
  if (q.objectReferentId != 0) {
    q.object = Uuid::read(r);
  }
  q.mapTower.referentId = r.u32();
  if (!r.ok()) {
    return ParseResult::fail("ept_map request truncated");
  }
  if (q.mapTower.referentId != 0) {
    Tower t;
    ParseResult tr = readTwr(r, limits, t);
    if (!tr.ok()) {
      return tr;
    }
    q.mapTower.tower = std::move(t);
  }
  r.align(4);
  q.entryHandle = readHandle(r);
  q.maxTowers = r.u32();
  ParseResult done = finish(r, stub, "ept_map request");
  if (done.ok()) {
    out = std::move(q);
  }
  return done;
}

std::optional<Bytes> encodeEptMapRequest(const EptMapRequest& request, Endian endian) {
  Bytes out;
  ByteWriter w(out, endian);
  if (request.object) {
    w.u32(request.objectReferentId != 0 ? request.objectReferentId : 1);
    request.object->write(w);
  } else {
    w.u32(0);
  }
  if (request.mapTower.tower) {
    w.u32(request.mapTower.referentId != 0 ? request.mapTower.referentId : 2);
    if (!writeTwr(w, *request.mapTower.tower)) {
      return std::nullopt;
    }
  } else {
    w.u32(0);
  }
  w.align(4);
  writeHandle(w, request.entryHandle);
  w.u32(request.maxTowers);
  return out;
}

ParseResult decodeEptMapResponse(ByteSpan stub, Endian endian, EptMapResponse& out,
                                 const EpmLimits& limits) {
  ByteReader r(stub, endian);
  EptMapResponse p;
  p.entryHandle = readHandle(r);
  uint32_t numTowers = r.u32();
  // Conformant varying array of unique pointers (NDR 14.3.3.4): max_count, offset,
  // actual_count, the referent ids, then the pointees in order.
  p.maxCount = r.u32();
  p.offset = r.u32();
  uint32_t actual = r.u32();
  if (!r.ok()) {
    return ParseResult::fail("ept_map response truncated");
  }
  if (actual != numTowers) {
    return ParseResult::fail("towers length_is differs from num_towers");
  }
  if (actual > limits.maxTowers) {
    return ParseResult::fail("tower count above the cap");
  }
  if (static_cast<uint64_t>(p.offset) + actual > p.maxCount) {
    return ParseResult::fail("towers offset + length exceed max_count");
  }
  if (static_cast<uint64_t>(actual) * 4 > r.remaining()) {
    return ParseResult::fail("tower referent ids truncated");
  }
  p.towers.resize(actual);
  for (auto& t : p.towers) {
    t.referentId = r.u32();
  }
  for (auto& t : p.towers) {
    if (t.referentId == 0) {
      continue;
    }
    Tower tower;
    ParseResult tr = readTwr(r, limits, tower);
    if (!tr.ok()) {
      return tr;
    }
    t.tower = std::move(tower);
  }
  r.align(4);
  p.status = r.u32();
  ParseResult done = finish(r, stub, "ept_map response");
  if (done.ok()) {
    out = std::move(p);
  }
  return done;
}

std::optional<Bytes> encodeEptMapResponse(const EptMapResponse& response, Endian endian) {
  if (static_cast<uint64_t>(response.offset) + response.towers.size() > response.maxCount) {
    return std::nullopt;
  }
  Bytes out;
  ByteWriter w(out, endian);
  writeHandle(w, response.entryHandle);
  w.u32(response.numTowers());
  w.u32(response.maxCount);
  w.u32(response.offset);
  w.u32(response.numTowers());
  for (const auto& t : response.towers) {
    w.u32(t.tower ? (t.referentId != 0 ? t.referentId : 0x00020000) : 0);
  }
  for (const auto& t : response.towers) {
    if (t.tower && !writeTwr(w, *t.tower)) {
      return std::nullopt;
    }
  }
  w.align(4);
  w.u32(response.status);
  return out;
}

std::optional<Endpoint> mappedEndpoint(const EptMapResponse& response) {
  if (response.status != 0) {
    return std::nullopt;
  }
  for (const auto& t : response.towers) {
    if (t.tower) {
      if (auto e = endpointOf(*t.tower)) {
        return e;
      }
    }
  }
  return std::nullopt;
}

}  // namespace bh::mapi::epm
