#include "mapi/drsuapi/get_nc_changes.h"

#include "mapi/drsuapi/ndr_types.h"

namespace bh::mapi::drsuapi {

using detail::StubIn;
namespace ndr = dcerpc::ndr;

namespace {

constexpr uint32_t kRequestVersion = 8;
constexpr uint32_t kReplyVersion = 6;

// The call's version parameter, then the non-encapsulated union's discriminant (C706 14.3.8),
// which must agree; the arm follows at its own alignment (8 for both V8 and V6: they hold USNs).
bool readVersions(StubIn& in, uint32_t version, uint32_t supported, const char* what) {
  in.r.align(4);
  uint32_t tag = in.r.u32();
  if (!in.ok()) {
    return false;
  }
  if (version != supported) {
    return in.fail(std::string("unsupported ") + what + " version " + std::to_string(version));
  }
  if (tag != version) {
    return in.fail(std::string(what) + " union arm " + std::to_string(tag) +
                   " is not the version " + std::to_string(version));
  }
  in.r.align(8);
  return true;
}

void readUsnVector(ByteReader& r, UsnVector& v) {
  r.align(8);
  v.usnHighObjUpdate = static_cast<int64_t>(r.u64());
  v.usnReserved = static_cast<int64_t>(r.u64());
  v.usnHighPropUpdate = static_cast<int64_t>(r.u64());
}

void writeUsnVector(ByteWriter& w, const UsnVector& v) {
  w.align(8);
  w.u64(static_cast<uint64_t>(v.usnHighObjUpdate));
  w.u64(static_cast<uint64_t>(v.usnReserved));
  w.u64(static_cast<uint64_t>(v.usnHighPropUpdate));
}

// UPTODATE_VECTOR_V1_EXT / V2_EXT: conformant structures (the cursors' MaxCount first, aligned
// to 4, then the structure at its alignment, 8).
template <class Vector, class ReadCursor>
bool readUpToDate(StubIn& in, Vector& v, size_t cursorBytes, ReadCursor readCursor) {
  uint32_t n = 0;
  if (!in.count(n, in.caps.maxCursors, cursorBytes, "UPTODATE_VECTOR cursors")) {
    return false;
  }
  in.r.align(8);
  v.dwVersion = in.r.u32();
  v.dwReserved1 = in.r.u32();
  uint32_t cNumCursors = in.r.u32();
  v.dwReserved2 = in.r.u32();
  if (!in.ok()) {
    return false;
  }
  if (cNumCursors != n) {
    return in.fail("UPTODATE_VECTOR cNumCursors disagrees with its array");
  }
  v.rgCursors.resize(n);
  for (auto& c : v.rgCursors) {
    in.r.align(8);
    readCursor(in.r, c);
  }
  return in.ok();
}

template <class Vector, class WriteCursor>
void writeUpToDate(ByteWriter& w, const Vector& v, WriteCursor writeCursor) {
  w.align(4);
  w.u32(static_cast<uint32_t>(v.rgCursors.size()));
  w.align(8);
  w.u32(v.dwVersion);
  w.u32(v.dwReserved1);
  w.u32(static_cast<uint32_t>(v.rgCursors.size()));
  w.u32(v.dwReserved2);
  for (const auto& c : v.rgCursors) {
    w.align(8);
    writeCursor(w, c);
  }
}

bool readPartialAttrs(StubIn& in, PartialAttrVector& v) {
  uint32_t n = 0;
  if (!in.count(n, in.caps.maxPartialAttrs, 4, "PARTIAL_ATTR_VECTOR")) {
    return false;
  }
  v.dwVersion = in.r.u32();
  v.dwReserved1 = in.r.u32();
  uint32_t cAttrs = in.r.u32();
  if (!in.ok()) {
    return false;
  }
  if (cAttrs != n) {
    return in.fail("PARTIAL_ATTR_VECTOR cAttrs disagrees with its array");
  }
  v.rgPartialAttr.resize(n);
  for (auto& a : v.rgPartialAttr) {
    a = in.r.u32();
  }
  return in.ok();
}

void writePartialAttrs(ByteWriter& w, const PartialAttrVector& v) {
  w.align(4);
  w.u32(static_cast<uint32_t>(v.rgPartialAttr.size()));
  w.u32(v.dwVersion);
  w.u32(v.dwReserved1);
  w.u32(static_cast<uint32_t>(v.rgPartialAttr.size()));
  for (uint32_t a : v.rgPartialAttr) {
    w.u32(a);
  }
}

void readMetaData(ByteReader& r, PropertyMetaDataExt& m) {
  r.align(8);
  m.dwVersion = r.u32();
  r.align(8);
  m.timeChanged = static_cast<int64_t>(r.u64());
  m.uuidDsaOriginating = dcerpc::Uuid::read(r);
  m.usnOriginating = static_cast<int64_t>(r.u64());
}

void writeMetaData(ByteWriter& w, const PropertyMetaDataExt& m) {
  w.align(8);
  w.u32(m.dwVersion);
  w.align(8);
  w.u64(static_cast<uint64_t>(m.timeChanged));
  m.uuidDsaOriginating.write(w);
  w.u64(static_cast<uint64_t>(m.usnOriginating));
}

// PROPERTY_META_DATA_EXT_VECTOR (5.155): conformant, 40-byte entries aligned to 8.
bool readMetaVector(StubIn& in, std::vector<PropertyMetaDataExt>& v) {
  uint32_t n = 0;
  if (!in.count(n, in.caps.maxAttributes, 40, "PROPERTY_META_DATA_EXT_VECTOR")) {
    return false;
  }
  in.r.align(8);
  uint32_t cNumProps = in.r.u32();
  if (!in.ok()) {
    return false;
  }
  if (cNumProps != n) {
    return in.fail("PROPERTY_META_DATA_EXT_VECTOR cNumProps disagrees with its array");
  }
  v.resize(n);
  for (auto& m : v) {
    readMetaData(in.r, m);
  }
  return in.ok();
}

void writeMetaVector(ByteWriter& w, const std::vector<PropertyMetaDataExt>& v) {
  w.align(4);
  w.u32(static_cast<uint32_t>(v.size()));
  w.align(8);
  w.u32(static_cast<uint32_t>(v.size()));
  for (const auto& m : v) {
    writeMetaData(w, m);
  }
}

// [size_is(valLen)] UCHAR* pVal, the pointee: MaxCount (== valLen) then the bytes.
bool readValueBytes(StubIn& in, bool present, uint32_t valLen, Bytes& out, const char* what) {
  if (!present) {
    return valLen == 0 ? true : in.fail(std::string(what) + " with a length but no bytes");
  }
  if (valLen > in.caps.maxValueBytes) {
    return in.fail(std::string(what) + " of " + std::to_string(valLen) + " bytes over its cap " +
                   std::to_string(in.caps.maxValueBytes));
  }
  if (!in.conformance(valLen, in.caps.maxValueBytes, 1, what)) {
    return false;
  }
  ByteSpan b = in.r.take(valLen);
  if (!in.ok()) {
    return false;
  }
  out.assign(b.begin(), b.end());
  return true;
}

// ATTRBLOCK's pointee (5.10): the ATTR array, then each ATTR's ATTRVALBLOCK array, then each
// ATTRVAL's bytes (arrays of structures: every element's scalars before any element's buffers).
bool readAttrBlock(StubIn& in, uint32_t attrCount, bool present, std::vector<Attr>& attrs) {
  if (attrCount > in.caps.maxAttributes) {
    return in.fail("ATTRBLOCK attrCount " + std::to_string(attrCount) + " over its cap " +
                   std::to_string(in.caps.maxAttributes));
  }
  if (!present) {
    return attrCount == 0 ? true : in.fail("ATTRBLOCK with attributes but no array");
  }
  if (!in.conformance(attrCount, in.caps.maxAttributes, 12, "ATTRBLOCK")) {
    return false;
  }
  attrs.resize(attrCount);
  std::vector<uint32_t> valCount(attrCount);
  std::vector<bool> hasVals(attrCount);
  for (uint32_t i = 0; i < attrCount; ++i) {
    attrs[i].attrTyp = in.r.u32();
    valCount[i] = in.r.u32();
    hasVals[i] = ndr::readPointer(in.r);
  }
  for (uint32_t i = 0; i < attrCount && in.ok(); ++i) {
    uint32_t n = valCount[i];
    if (n > in.caps.maxValuesPerAttribute) {
      return in.fail("ATTRVALBLOCK valCount " + std::to_string(n) + " over its cap " +
                     std::to_string(in.caps.maxValuesPerAttribute));
    }
    if (!hasVals[i]) {
      if (n != 0) {
        return in.fail("ATTRVALBLOCK with values but no array");
      }
      continue;
    }
    if (n > in.caps.maxTotalValues - in.values) {
      return in.fail("attribute values over their cap " + std::to_string(in.caps.maxTotalValues));
    }
    in.values += n;
    if (!in.conformance(n, in.caps.maxValuesPerAttribute, 8, "ATTRVALBLOCK")) {
      return false;
    }
    std::vector<uint32_t> valLen(n);
    std::vector<bool> hasVal(n);
    for (uint32_t k = 0; k < n; ++k) {
      valLen[k] = in.r.u32();
      hasVal[k] = ndr::readPointer(in.r);
    }
    attrs[i].values.resize(n);
    for (uint32_t k = 0; k < n && in.ok(); ++k) {
      readValueBytes(in, hasVal[k], valLen[k], attrs[i].values[k], "ATTRVAL");
    }
  }
  return in.ok();
}

void writeAttrBlockBuffers(ByteWriter& w, ndr::Referents& refs, const std::vector<Attr>& attrs) {
  if (attrs.empty()) {
    return;
  }
  w.align(4);
  w.u32(static_cast<uint32_t>(attrs.size()));
  for (const Attr& a : attrs) {
    w.u32(a.attrTyp);
    w.u32(static_cast<uint32_t>(a.values.size()));
    refs.write(w, !a.values.empty());
  }
  for (const Attr& a : attrs) {
    if (a.values.empty()) {
      continue;
    }
    w.align(4);
    w.u32(static_cast<uint32_t>(a.values.size()));
    for (const Bytes& v : a.values) {
      w.u32(static_cast<uint32_t>(v.size()));
      refs.write(w, !v.empty());
    }
    for (const Bytes& v : a.values) {
      if (!v.empty()) {
        ndr::writeConformantBytes(w, v);
      }
    }
  }
}

// REPLENTINFLIST (5.162): a linked list in NDR's order. An element's scalars, then its pointees
// in field order, the first being pNextEntInf: so the next element (whole, with its own
// pointees) comes before this element's DSNAME and attributes. The nesting is as deep as the
// list is long, and the list is capped (Caps::maxObjects), so the recursion is bounded.
bool readObject(StubIn& in, std::vector<ReplEntInfList>& out) {
  if (out.size() >= in.caps.maxObjects) {
    return in.fail("object list over its cap " + std::to_string(in.caps.maxObjects));
  }
  ByteReader& r = in.r;
  r.align(4);
  bool hasNext = ndr::readPointer(r);
  bool hasName = ndr::readPointer(r);
  uint32_t ulFlags = r.u32();
  uint32_t attrCount = r.u32();
  bool hasAttrs = ndr::readPointer(r);
  uint32_t fIsNCPrefix = r.u32();
  bool hasParent = ndr::readPointer(r);
  bool hasMeta = ndr::readPointer(r);
  if (!in.ok()) {
    return false;
  }
  size_t me = out.size();
  out.emplace_back();
  out[me].entinf.ulFlags = ulFlags;
  out[me].fIsNCPrefix = fIsNCPrefix;
  if (hasNext && !readObject(in, out)) {
    return false;
  }
  ReplEntInfList& e = out[me];
  if (hasName && !detail::readDsName(in, e.entinf.pName.emplace())) {
    return false;
  }
  if (!readAttrBlock(in, attrCount, hasAttrs, e.entinf.attrs)) {
    return false;
  }
  if (hasParent) {
    r.align(4);
    e.pParentGuid = dcerpc::Uuid::read(r);
  }
  if (hasMeta && in.ok()) {
    readMetaVector(in, e.pMetaDataExt.emplace());
  }
  return in.ok();
}

void writeObject(ByteWriter& w, ndr::Referents& refs, const std::vector<ReplEntInfList>& objs,
                 size_t i) {
  const ReplEntInfList& e = objs[i];
  bool hasNext = i + 1 < objs.size();
  w.align(4);
  refs.write(w, hasNext);
  refs.write(w, e.entinf.pName.has_value());
  w.u32(e.entinf.ulFlags);
  w.u32(static_cast<uint32_t>(e.entinf.attrs.size()));
  refs.write(w, !e.entinf.attrs.empty());
  w.u32(e.fIsNCPrefix);
  refs.write(w, e.pParentGuid.has_value());
  refs.write(w, e.pMetaDataExt.has_value());
  if (hasNext) {
    writeObject(w, refs, objs, i + 1);
  }
  if (e.entinf.pName) {
    detail::writeDsName(w, *e.entinf.pName);
  }
  writeAttrBlockBuffers(w, refs, e.entinf.attrs);
  if (e.pParentGuid) {
    w.align(4);
    e.pParentGuid->write(w);
  }
  if (e.pMetaDataExt) {
    writeMetaVector(w, *e.pMetaDataExt);
  }
}

// REPLVALINF_V1 (5.167): 72-byte scalars aligned to 8, then each element's DSNAME and value.
bool readLinkedValues(StubIn& in, uint32_t n, std::vector<ReplValInfV1>& out) {
  if (!in.conformance(n, in.caps.maxLinkedValues, 72, "REPLVALINF")) {
    return false;
  }
  out.resize(n);
  std::vector<uint32_t> valLen(n);
  std::vector<std::pair<bool, bool>> present(n);
  for (uint32_t i = 0; i < n; ++i) {
    ByteReader& r = in.r;
    r.align(8);
    present[i].first = ndr::readPointer(r);
    out[i].attrTyp = r.u32();
    valLen[i] = r.u32();
    present[i].second = ndr::readPointer(r);
    out[i].fIsPresent = r.u32();
    r.align(8);
    out[i].timeCreated = static_cast<int64_t>(r.u64());
    readMetaData(r, out[i].metaData);
  }
  for (uint32_t i = 0; i < n && in.ok(); ++i) {
    if (present[i].first && !detail::readDsName(in, out[i].pObject.emplace())) {
      return false;
    }
    readValueBytes(in, present[i].second, valLen[i], out[i].aval, "REPLVALINF Aval");
  }
  return in.ok();
}

void writeLinkedValues(ByteWriter& w, ndr::Referents& refs, const std::vector<ReplValInfV1>& v) {
  w.align(4);
  w.u32(static_cast<uint32_t>(v.size()));
  for (const ReplValInfV1& x : v) {
    w.align(8);
    refs.write(w, x.pObject.has_value());
    w.u32(x.attrTyp);
    w.u32(static_cast<uint32_t>(x.aval.size()));
    refs.write(w, !x.aval.empty());
    w.u32(x.fIsPresent);
    w.align(8);
    w.u64(static_cast<uint64_t>(x.timeCreated));
    writeMetaData(w, x.metaData);
  }
  for (const ReplValInfV1& x : v) {
    if (x.pObject) {
      detail::writeDsName(w, *x.pObject);
    }
    if (!x.aval.empty()) {
      ndr::writeConformantBytes(w, x.aval);
    }
  }
}

void readCursorV1(ByteReader& r, UpToDateCursorV1& c) {
  c.uuidDsa = dcerpc::Uuid::read(r);
  c.usnHighPropUpdate = static_cast<int64_t>(r.u64());
}

void writeCursorV1(ByteWriter& w, const UpToDateCursorV1& c) {
  c.uuidDsa.write(w);
  w.u64(static_cast<uint64_t>(c.usnHighPropUpdate));
}

void readCursorV2(ByteReader& r, UpToDateCursorV2& c) {
  c.uuidDsa = dcerpc::Uuid::read(r);
  c.usnHighPropUpdate = static_cast<int64_t>(r.u64());
  c.timeLastSyncSuccess = static_cast<int64_t>(r.u64());
}

void writeCursorV2(ByteWriter& w, const UpToDateCursorV2& c) {
  c.uuidDsa.write(w);
  w.u64(static_cast<uint64_t>(c.usnHighPropUpdate));
  w.u64(static_cast<uint64_t>(c.timeLastSyncSuccess));
}

}  // namespace

ParseResult decodeGetNcChangesRequest(ByteSpan stub, GetNcChangesRequest& out, const Caps& caps) {
  StubIn in(stub, caps);
  ByteReader& r = in.r;
  out = {};
  out.hDrs.read(r);
  r.align(4);
  uint32_t version = r.u32();
  if (!readVersions(in, version, kRequestVersion, "DRS_MSG_GETCHGREQ")) {
    return in.result("DRSGetNCChanges request");
  }
  // DRS_MSG_GETCHGREQ_V8 scalars.
  out.uuidDsaObjDest = dcerpc::Uuid::read(r);
  out.uuidInvocIdSrc = dcerpc::Uuid::read(r);
  bool hasNC = ndr::readPointer(r);
  readUsnVector(r, out.usnvecFrom);
  bool hasUtd = ndr::readPointer(r);
  out.ulFlags = r.u32();
  out.cMaxObjects = r.u32();
  out.cMaxBytes = r.u32();
  out.ulExtendedOp = r.u32();
  r.align(8);
  out.liFsmoInfo = r.u64();
  bool hasPas = ndr::readPointer(r);
  bool hasPasEx = ndr::readPointer(r);
  detail::PrefixTableScalars prefix;
  if (!detail::readPrefixTableScalars(in, prefix)) {
    return in.result("DRSGetNCChanges request");
  }
  if (!hasNC) {
    in.fail("pNC is NULL ([ref])");
    return in.result("DRSGetNCChanges request");
  }
  // The pointees, in the order of their pointers.
  if (detail::readDsName(in, out.pNC) && hasUtd) {
    readUpToDate(in, out.pUpToDateVecDest.emplace(), 24, readCursorV1);
  }
  if (in.ok() && hasPas) {
    readPartialAttrs(in, out.pPartialAttrSet.emplace());
  }
  if (in.ok() && hasPasEx) {
    readPartialAttrs(in, out.pPartialAttrSetEx1.emplace());
  }
  if (in.ok()) {
    detail::readPrefixTableBuffers(in, prefix, out.prefixTableDest);
  }
  return in.result("DRSGetNCChanges request");
}

Bytes encodeGetNcChangesRequest(const GetNcChangesRequest& in) {
  Bytes out;
  ByteWriter w(out);
  ndr::Referents refs;
  in.hDrs.write(w);
  w.u32(kRequestVersion);  // dwInVersion
  w.u32(kRequestVersion);  // the union's discriminant
  w.align(8);
  in.uuidDsaObjDest.write(w);
  in.uuidInvocIdSrc.write(w);
  refs.write(w, true);  // pNC, [ref]
  writeUsnVector(w, in.usnvecFrom);
  refs.write(w, in.pUpToDateVecDest.has_value());
  w.u32(in.ulFlags);
  w.u32(in.cMaxObjects);
  w.u32(in.cMaxBytes);
  w.u32(in.ulExtendedOp);
  w.align(8);
  w.u64(in.liFsmoInfo);
  refs.write(w, in.pPartialAttrSet.has_value());
  refs.write(w, in.pPartialAttrSetEx1.has_value());
  detail::writePrefixTableScalars(w, refs, in.prefixTableDest);
  detail::writeDsName(w, in.pNC);
  if (in.pUpToDateVecDest) {
    writeUpToDate(w, *in.pUpToDateVecDest, writeCursorV1);
  }
  if (in.pPartialAttrSet) {
    writePartialAttrs(w, *in.pPartialAttrSet);
  }
  if (in.pPartialAttrSetEx1) {
    writePartialAttrs(w, *in.pPartialAttrSetEx1);
  }
  detail::writePrefixTableBuffers(w, refs, in.prefixTableDest);
  return out;
}

ParseResult decodeGetNcChangesReply(ByteSpan stub, GetNcChangesReply& out, const Caps& caps) {
  StubIn in(stub, caps);
  ByteReader& r = in.r;
  out = {};
  uint32_t version = r.u32();
  if (!readVersions(in, version, kReplyVersion, "DRS_MSG_GETCHGREPLY")) {
    return in.result("DRSGetNCChanges reply");
  }
  // DRS_MSG_GETCHGREPLY_V6 scalars.
  out.uuidDsaObjSrc = dcerpc::Uuid::read(r);
  out.uuidInvocIdSrc = dcerpc::Uuid::read(r);
  bool hasNC = ndr::readPointer(r);
  readUsnVector(r, out.usnvecFrom);
  readUsnVector(r, out.usnvecTo);
  bool hasUtd = ndr::readPointer(r);
  detail::PrefixTableScalars prefix;
  if (!detail::readPrefixTableScalars(in, prefix)) {
    return in.result("DRSGetNCChanges reply");
  }
  out.ulExtendedRet = r.u32();
  out.cNumObjects = r.u32();
  out.cNumBytes = r.u32();
  bool hasObjects = ndr::readPointer(r);
  out.fMoreData = r.u32();
  out.cNumNcSizeObjects = r.u32();
  out.cNumNcSizeValues = r.u32();
  uint32_t cNumValues = r.u32();
  bool hasValues = ndr::readPointer(r);
  out.dwDRSError = r.u32();
  if (in.ok() && cNumValues > caps.maxLinkedValues) {
    in.fail("cNumValues " + std::to_string(cNumValues) + " over its cap " +
            std::to_string(caps.maxLinkedValues));
  }
  if (in.ok() && !hasValues && cNumValues != 0) {
    in.fail("cNumValues without rgValues");
  }
  // The pointees, in the order of their pointers.
  if (in.ok() && hasNC) {
    detail::readDsName(in, out.pNC.emplace());
  }
  if (in.ok() && hasUtd) {
    readUpToDate(in, out.pUpToDateVecSrc.emplace(), 32, readCursorV2);
  }
  if (in.ok()) {
    detail::readPrefixTableBuffers(in, prefix, out.prefixTableSrc);
  }
  if (in.ok() && hasObjects) {
    readObject(in, out.objects);
  }
  if (in.ok() && hasValues) {
    readLinkedValues(in, cNumValues, out.rgValues);
  }
  r.align(4);
  out.returnValue = r.u32();
  return in.result("DRSGetNCChanges reply");
}

Bytes encodeGetNcChangesReply(const GetNcChangesReply& in) {
  Bytes out;
  ByteWriter w(out);
  ndr::Referents refs;
  w.u32(kReplyVersion);  // *pdwOutVersion
  w.u32(kReplyVersion);  // the union's discriminant
  w.align(8);
  in.uuidDsaObjSrc.write(w);
  in.uuidInvocIdSrc.write(w);
  refs.write(w, in.pNC.has_value());
  writeUsnVector(w, in.usnvecFrom);
  writeUsnVector(w, in.usnvecTo);
  refs.write(w, in.pUpToDateVecSrc.has_value());
  detail::writePrefixTableScalars(w, refs, in.prefixTableSrc);
  w.u32(in.ulExtendedRet);
  w.u32(in.cNumObjects);
  w.u32(in.cNumBytes);
  refs.write(w, !in.objects.empty());
  w.u32(in.fMoreData);
  w.u32(in.cNumNcSizeObjects);
  w.u32(in.cNumNcSizeValues);
  w.u32(static_cast<uint32_t>(in.rgValues.size()));
  refs.write(w, !in.rgValues.empty());
  w.u32(in.dwDRSError);
  if (in.pNC) {
    detail::writeDsName(w, *in.pNC);
  }
  if (in.pUpToDateVecSrc) {
    writeUpToDate(w, *in.pUpToDateVecSrc, writeCursorV2);
  }
  detail::writePrefixTableBuffers(w, refs, in.prefixTableSrc);
  if (!in.objects.empty()) {
    writeObject(w, refs, in.objects, 0);
  }
  if (!in.rgValues.empty()) {
    writeLinkedValues(w, refs, in.rgValues);
  }
  w.align(4);
  w.u32(in.returnValue);
  return out;
}

const Attr* findAttribute(const EntInf& object, const PrefixTable& table, std::string_view oid) {
  for (const Attr& a : object.attrs) {
    auto o = oidFromAttid(table, a.attrTyp);
    if (o && *o == oid) {
      return &a;
    }
  }
  return nullptr;
}

const PropertyMetaDataExt* findMetaData(const ReplEntInfList& object, const PrefixTable& table,
                                        std::string_view oid) {
  const Attr* a = findAttribute(object.entinf, table, oid);
  if (a == nullptr || !object.pMetaDataExt) {
    return nullptr;
  }
  size_t i = static_cast<size_t>(a - object.entinf.attrs.data());
  return i < object.pMetaDataExt->size() ? &(*object.pMetaDataExt)[i] : nullptr;
}

}  // namespace bh::mapi::drsuapi
