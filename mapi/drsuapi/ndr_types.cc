#include "mapi/drsuapi/ndr_types.h"

namespace bh::mapi::drsuapi::detail {

bool readExtensions(StubIn& in, DrsExtensions& out) {
  uint32_t maxCount = 0;
  if (!in.count(maxCount, in.caps.maxExtensionBytes, 1, "DRS_EXTENSIONS")) {
    return false;
  }
  uint32_t cb = in.r.u32();
  if (!in.ok()) {
    return false;
  }
  if (cb != maxCount) {
    return in.fail("DRS_EXTENSIONS cb disagrees with its array");
  }
  ByteSpan b = in.r.take(cb);
  if (!in.ok()) {
    return false;
  }
  out.rgb.assign(b.begin(), b.end());
  return true;
}

void writeExtensions(ByteWriter& w, const DrsExtensions& e) {
  w.align(4);
  w.u32(static_cast<uint32_t>(e.rgb.size()));
  w.u32(static_cast<uint32_t>(e.rgb.size()));
  w.bytes(e.rgb);
}

bool readPrefixTableScalars(StubIn& in, PrefixTableScalars& s) {
  in.r.align(4);
  s.count = in.r.u32();
  s.present = dcerpc::ndr::readPointer(in.r);
  if (!in.ok()) {
    return false;
  }
  if (!s.present && s.count != 0) {
    return in.fail("SCHEMA_PREFIX_TABLE with entries but no array");
  }
  if (s.count > in.caps.maxPrefixEntries) {
    return in.fail("SCHEMA_PREFIX_TABLE count " + std::to_string(s.count) + " over its cap " +
                   std::to_string(in.caps.maxPrefixEntries));
  }
  return true;
}

bool readPrefixTableBuffers(StubIn& in, const PrefixTableScalars& s, PrefixTable& out) {
  out.entries.clear();
  if (!s.present) {
    return in.ok();
  }
  // PrefixTableEntry scalars: ndx, OID_t { length, elements* } = 12 bytes each.
  if (!in.conformance(s.count, in.caps.maxPrefixEntries, 12, "SCHEMA_PREFIX_TABLE")) {
    return false;
  }
  std::vector<bool> present(s.count);
  out.entries.resize(s.count);
  std::vector<uint32_t> lengths(s.count);
  for (uint32_t i = 0; i < s.count; ++i) {
    out.entries[i].ndx = in.r.u32();
    lengths[i] = in.r.u32();
    present[i] = dcerpc::ndr::readPointer(in.r);
  }
  if (!in.ok()) {
    return false;
  }
  for (uint32_t i = 0; i < s.count; ++i) {
    if (!present[i]) {
      if (lengths[i] != 0) {
        return in.fail("OID_t with a length but no elements");
      }
      continue;
    }
    if (lengths[i] > in.caps.maxOidBytes) {
      return in.fail("OID_t length " + std::to_string(lengths[i]) + " over its cap " +
                     std::to_string(in.caps.maxOidBytes));
    }
    if (!in.conformance(lengths[i], in.caps.maxOidBytes, 1, "OID_t")) {
      return false;
    }
    ByteSpan b = in.r.take(lengths[i]);
    if (!in.ok()) {
      return false;
    }
    out.entries[i].prefix.assign(b.begin(), b.end());
  }
  return true;
}

void writePrefixTableScalars(ByteWriter& w, dcerpc::ndr::Referents& refs, const PrefixTable& t) {
  w.align(4);
  w.u32(static_cast<uint32_t>(t.entries.size()));
  refs.write(w, !t.entries.empty());
}

void writePrefixTableBuffers(ByteWriter& w, dcerpc::ndr::Referents& refs, const PrefixTable& t) {
  if (t.entries.empty()) {
    return;
  }
  w.align(4);
  w.u32(static_cast<uint32_t>(t.entries.size()));
  for (const PrefixTableEntry& e : t.entries) {
    w.u32(e.ndx);
    w.u32(static_cast<uint32_t>(e.prefix.size()));
    refs.write(w, !e.prefix.empty());
  }
  for (const PrefixTableEntry& e : t.entries) {
    if (!e.prefix.empty()) {
      dcerpc::ndr::writeConformantBytes(w, e.prefix);
    }
  }
}

std::string utf8Of(const std::u16string& s) {
  std::string out;
  return dcerpc::ndr::wideToUtf8(s, out) ? out : std::string();
}

}  // namespace bh::mapi::drsuapi::detail
