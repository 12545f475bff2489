#include "mapi/drsuapi/ds_name.h"

#include <algorithm>

#include "mapi/dcerpc/ndr.h"
#include "mapi/drsuapi/ndr_types.h"

namespace bh::mapi::drsuapi {

DsName DsName::of(const dcerpc::Uuid& guid, const std::u16string& dn, ByteSpan sid) {
  DsName d;
  d.guid = guid;
  d.stringName = dn;
  d.sidLen = static_cast<uint32_t>(std::min<size_t>(sid.size(), d.sid.size()));
  std::copy_n(sid.begin(), d.sidLen, d.sid.begin());
  // offsetof(DSNAME, StringName) = structLen 4 + SidLen 4 + Guid 16 + Sid 28 + NameLen 4.
  d.structLen = static_cast<uint32_t>(56 + 2 * (dn.size() + 1));
  return d;
}

std::string DsName::dnUtf8() const {
  std::string out;
  return dcerpc::ndr::wideToUtf8(stringName, out) ? out : std::string();
}

namespace detail {

bool readDsName(StubIn& in, DsName& out) {
  ByteReader& r = in.r;
  uint32_t maxCount = 0;
  if (!in.count(maxCount, in.maxUnits(), 2, "DSNAME StringName")) {
    return false;
  }
  r.align(4);
  out.structLen = r.u32();
  out.sidLen = r.u32();
  out.guid = dcerpc::Uuid::read(r);
  ByteSpan sid = r.take(out.sid.size());
  uint32_t nameLen = r.u32();
  if (!r.ok()) {
    return false;
  }
  std::copy(sid.begin(), sid.end(), out.sid.begin());
  if (out.sidLen > out.sid.size()) {
    return in.fail("DSNAME SidLen over 28");
  }
  if (static_cast<uint64_t>(nameLen) + 1 != maxCount) {
    return in.fail("DSNAME NameLen disagrees with its StringName array");
  }
  out.stringName.clear();
  out.stringName.reserve(nameLen);
  for (uint32_t i = 0; i < nameLen; ++i) {
    out.stringName.push_back(static_cast<char16_t>(r.u16()));
  }
  uint16_t terminator = r.u16();
  if (!r.ok()) {
    return false;
  }
  if (terminator != 0) {
    return in.fail("DSNAME StringName without its NUL");
  }
  return true;
}

void writeDsName(ByteWriter& w, const DsName& d) {
  w.align(4);
  w.u32(static_cast<uint32_t>(d.stringName.size() + 1));
  w.u32(d.structLen);
  w.u32(d.sidLen);
  d.guid.write(w);
  w.bytes(d.sid);
  w.u32(static_cast<uint32_t>(d.stringName.size()));
  for (char16_t c : d.stringName) {
    w.u16(static_cast<uint16_t>(c));
  }
  w.u16(0);
}

}  // namespace detail

}  // namespace bh::mapi::drsuapi
