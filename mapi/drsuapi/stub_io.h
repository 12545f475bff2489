#pragma once

// Internal to mapi/drsuapi: the reading side of one stub. A ByteReader over the whole stub (a
// stub is complete when it reaches us: DCE/RPC reassembly is below), the caps, and the first
// reason the stub is malformed. Truncation and malformation both end as an error result.

#include <cstdint>
#include <string>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "mapi/dcerpc/ndr.h"
#include "mapi/drsuapi/caps.h"

namespace bh::mapi::drsuapi::detail {

struct StubIn {
  StubIn(ByteSpan stub, const Caps& c) : r(stub), caps(c) {}

  ByteReader r;
  const Caps& caps;
  std::string why;      ///< the first malformation; never quotes payload bytes
  uint32_t values = 0;  ///< attribute values read so far (Caps::maxTotalValues)

  bool ok() const { return r.ok(); }
  /// Records a malformation (the first one wins) and stops the reader.
  bool fail(const std::string& reason) {
    if (why.empty()) {
      why = reason;
    }
    r.fail();
    return false;
  }
  /// A u32 count checked against `cap` and against the bytes left (`minBytes` per element).
  bool count(uint32_t& n, uint32_t cap, size_t minBytes, const char* what) {
    bool bad = false;
    if (dcerpc::ndr::readCount(r, n, cap, minBytes, bad)) {
      return true;
    }
    if (bad) {
      return fail(std::string(what) + " count " + std::to_string(n) + " over its cap " +
                  std::to_string(cap));
    }
    return false;
  }
  /// A conformant array's MaxCount that must equal the count its size_is names.
  bool conformance(uint32_t expected, uint32_t cap, size_t minBytes, const char* what) {
    uint32_t n = 0;
    if (!count(n, cap, minBytes, what)) {
      return false;
    }
    if (n != expected) {
      return fail(std::string(what) + " array of " + std::to_string(n) + " where its count says " +
                  std::to_string(expected));
    }
    return true;
  }
  /// The most UTF-16 units a string may carry: the cap plus its NUL (saturating).
  uint32_t maxUnits() const {
    return caps.maxNameChars == UINT32_MAX ? UINT32_MAX : caps.maxNameChars + 1;
  }
  bool wide(std::u16string& s, const char* what) {
    bool bad = false;
    if (dcerpc::ndr::readWideString(r, s, maxUnits(), bad)) {
      return true;
    }
    return bad ? fail(std::string(what) + ": malformed string or over its cap") : false;
  }
  /// Done(consumed), or an error naming the stub and why.
  ParseResult result(const char* stub) const {
    if (!why.empty()) {
      return ParseResult::fail(std::string(stub) + ": " + why);
    }
    if (!r.ok()) {
      return ParseResult::fail(std::string(stub) + ": truncated");
    }
    return ParseResult::done(r.offset());
  }
};

}  // namespace bh::mapi::drsuapi::detail
