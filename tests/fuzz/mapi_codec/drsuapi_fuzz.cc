// Fuzz target: the DRSUAPI stub codecs (MS-DRSR 4.1.3, 4.1.4, 4.1.10, 4.1.25). The first byte
// picks the stub (0 DRSBind request, 1 its reply, 2 DRSUnbind request, 3 its reply, 4 DRSCrackNames
// request, 5 its reply, 6 DRSGetNCChanges request, 7 its reply); the rest is the stub. A stub is
// complete when it reaches the codec, so the answer is done or error, never need-more; whatever
// decodes must re-encode to bytes that decode back to the same value and encode again to the
// same bytes. A reply's attributes are also mapped to OIDs through its prefix table and back.
#include <cstdint>
#include <cstdlib>

#include "mapi/drsuapi/crack_names.h"
#include "mapi/drsuapi/drs_bind.h"
#include "mapi/drsuapi/get_nc_changes.h"

using namespace bh;
using namespace bh::mapi::drsuapi;

namespace {

template <class Msg, class Decode, class Encode>
const Msg* check(ByteSpan stub, Decode decode, Encode encode, Msg& m) {
  ParseResult r = decode(stub, m, Caps{});
  if (r.status == ParseStatus::NeedMore) {
    std::abort();
  }
  if (!r.ok()) {
    return nullptr;
  }
  if (r.consumed > stub.size()) {
    std::abort();
  }
  Bytes wire = encode(m);
  Msg back;
  ParseResult again = decode(wire, back, Caps{});
  if (!again.ok() || again.consumed != wire.size() || !(back == m) || encode(back) != wire) {
    std::abort();
  }
  return &m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  ByteSpan stub(data + 1, size - 1);
  switch (data[0] % 8) {
    case 0: {
      DrsBindRequest m;
      if (check(stub, decodeDrsBindRequest, encodeDrsBindRequest, m) && m.pextClient) {
        (void)DrsExtensionsInt::parse(m.pextClient->rgb);
      }
      break;
    }
    case 1: {
      DrsBindReply m;
      if (check(stub, decodeDrsBindReply, encodeDrsBindReply, m) && m.ppextServer) {
        (void)DrsExtensionsInt::parse(m.ppextServer->rgb);
      }
      break;
    }
    case 2: {
      DrsUnbindRequest m;
      check(stub, decodeDrsUnbindRequest, encodeDrsUnbindRequest, m);
      break;
    }
    case 3: {
      DrsUnbindReply m;
      check(stub, decodeDrsUnbindReply, encodeDrsUnbindReply, m);
      break;
    }
    case 4: {
      CrackNamesRequest m;
      check(stub, decodeCrackNamesRequest, encodeCrackNamesRequest, m);
      break;
    }
    case 5: {
      CrackNamesReply m;
      if (check(stub, decodeCrackNamesReply, encodeCrackNamesReply, m)) {
        for (const auto& it : m.items) {
          (void)utf8(it.pName);
        }
      }
      break;
    }
    case 6: {
      GetNcChangesRequest m;
      check(stub, decodeGetNcChangesRequest, encodeGetNcChangesRequest, m);
      break;
    }
    default: {
      GetNcChangesReply m;
      if (check(stub, decodeGetNcChangesReply, encodeGetNcChangesReply, m)) {
        for (const auto& o : m.objects) {
          for (const auto& a : o.entinf.attrs) {
            // Exercised, not compared: a fuzzed table may hold one index twice, or a prefix
            // that does not end where MakeAttid would cut, so the two need not invert.
            auto oid = oidFromAttid(m.prefixTableSrc, a.attrTyp);
            if (oid) {
              (void)attidFromOid(m.prefixTableSrc, *oid);
            }
          }
          (void)findMetaData(o, m.prefixTableSrc, oid::kUnicodePwd);
        }
      }
      break;
    }
  }
  return 0;
}
