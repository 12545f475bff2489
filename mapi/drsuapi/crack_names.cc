#include "mapi/drsuapi/crack_names.h"

#include "mapi/drsuapi/ndr_types.h"

namespace bh::mapi::drsuapi {

using detail::StubIn;
namespace ndr = dcerpc::ndr;

namespace {

// The union's discriminant, then (NDR20) the arm at its own alignment; the version the call's
// own parameter named must be the one the union carries.
bool readSwitch(StubIn& in, uint32_t version, const char* what) {
  in.r.align(4);
  uint32_t tag = in.r.u32();
  if (!in.ok()) {
    return false;
  }
  if (version != 1) {
    return in.fail(std::string("unsupported ") + what + " version " + std::to_string(version));
  }
  if (tag != version) {
    return in.fail(std::string(what) + " union arm " + std::to_string(tag) +
                   " is not the version " + std::to_string(version));
  }
  return true;
}

}  // namespace

ParseResult decodeCrackNamesRequest(ByteSpan stub, CrackNamesRequest& out, const Caps& caps) {
  StubIn in(stub, caps);
  out = {};
  out.hDrs.read(in.r);
  in.r.align(4);
  uint32_t version = in.r.u32();
  if (!readSwitch(in, version, "DRS_MSG_CRACKREQ")) {
    return in.result("DRSCrackNames request");
  }
  out.codePage = in.r.u32();
  out.localeId = in.r.u32();
  out.dwFlags = in.r.u32();
  out.formatOffered = in.r.u32();
  out.formatDesired = in.r.u32();
  uint32_t cNames = in.r.u32();
  bool hasNames = ndr::readPointer(in.r);
  if (in.ok() && cNames > caps.maxNames) {
    in.fail("cNames " + std::to_string(cNames) + " over its cap " + std::to_string(caps.maxNames));
  }
  if (in.ok() && !hasNames && cNames != 0) {
    in.fail("cNames without rpNames");
  }
  if (in.ok() && hasNames && in.conformance(cNames, caps.maxNames, 4, "rpNames")) {
    std::vector<bool> present(cNames);
    for (uint32_t i = 0; i < cNames; ++i) {
      present[i] = ndr::readPointer(in.r);
    }
    out.rpNames.resize(cNames);
    for (uint32_t i = 0; i < cNames && in.ok(); ++i) {
      if (!present[i]) {
        in.fail("a NULL name in rpNames");
        break;
      }
      in.wide(out.rpNames[i], "rpNames");
    }
  }
  return in.result("DRSCrackNames request");
}

Bytes encodeCrackNamesRequest(const CrackNamesRequest& in) {
  Bytes out;
  ByteWriter w(out);
  ndr::Referents refs;
  in.hDrs.write(w);
  w.u32(1);  // dwInVersion
  w.u32(1);  // the union's discriminant
  w.u32(in.codePage);
  w.u32(in.localeId);
  w.u32(in.dwFlags);
  w.u32(in.formatOffered);
  w.u32(in.formatDesired);
  w.u32(static_cast<uint32_t>(in.rpNames.size()));
  refs.write(w, !in.rpNames.empty());
  if (!in.rpNames.empty()) {
    w.u32(static_cast<uint32_t>(in.rpNames.size()));
    for (size_t i = 0; i < in.rpNames.size(); ++i) {
      refs.write(w, true);
    }
    for (const auto& n : in.rpNames) {
      ndr::writeWideString(w, n);
    }
  }
  return out;
}

ParseResult decodeCrackNamesReply(ByteSpan stub, CrackNamesReply& out, const Caps& caps) {
  StubIn in(stub, caps);
  out = {};
  uint32_t version = in.r.u32();
  if (!readSwitch(in, version, "DRS_MSG_CRACKREPLY")) {
    return in.result("DRSCrackNames reply");
  }
  out.hasResult = ndr::readPointer(in.r);
  if (in.ok() && out.hasResult) {
    // DS_NAME_RESULTW { cItems; [size_is(cItems)] DS_NAME_RESULT_ITEMW* rItems; }
    uint32_t cItems = in.r.u32();
    bool hasItems = ndr::readPointer(in.r);
    if (in.ok() && cItems > caps.maxNames) {
      in.fail("cItems " + std::to_string(cItems) + " over its cap " +
              std::to_string(caps.maxNames));
    }
    if (in.ok() && !hasItems && cItems != 0) {
      in.fail("cItems without rItems");
    }
    if (in.ok() && hasItems && in.conformance(cItems, caps.maxNames, 12, "rItems")) {
      std::vector<std::pair<bool, bool>> present(cItems);
      out.items.resize(cItems);
      for (uint32_t i = 0; i < cItems; ++i) {
        out.items[i].status = in.r.u32();
        present[i].first = ndr::readPointer(in.r);
        present[i].second = ndr::readPointer(in.r);
      }
      for (uint32_t i = 0; i < cItems && in.ok(); ++i) {
        if (present[i].first) {
          in.wide(out.items[i].pDomain.emplace(), "pDomain");
        }
        if (present[i].second && in.ok()) {
          in.wide(out.items[i].pName.emplace(), "pName");
        }
      }
    }
  }
  in.r.align(4);
  out.returnValue = in.r.u32();
  return in.result("DRSCrackNames reply");
}

Bytes encodeCrackNamesReply(const CrackNamesReply& in) {
  Bytes out;
  ByteWriter w(out);
  ndr::Referents refs;
  w.u32(1);  // *pdwOutVersion
  w.u32(1);  // the union's discriminant
  refs.write(w, in.hasResult);
  if (in.hasResult) {
    w.u32(static_cast<uint32_t>(in.items.size()));
    refs.write(w, !in.items.empty());
    if (!in.items.empty()) {
      w.u32(static_cast<uint32_t>(in.items.size()));
      for (const auto& it : in.items) {
        w.u32(it.status);
        refs.write(w, it.pDomain.has_value());
        refs.write(w, it.pName.has_value());
      }
      for (const auto& it : in.items) {
        if (it.pDomain) {
          ndr::writeWideString(w, *it.pDomain);
        }
        if (it.pName) {
          ndr::writeWideString(w, *it.pName);
        }
      }
    }
  }
  w.align(4);
  w.u32(in.returnValue);
  return out;
}

std::string utf8(const std::optional<std::u16string>& s) {
  return s ? detail::utf8Of(*s) : std::string();
}

std::u16string utf16(const std::string& s) {
  std::u16string out;
  return ndr::utf8ToWide(s, out) ? out : std::u16string();
}

}  // namespace bh::mapi::drsuapi
