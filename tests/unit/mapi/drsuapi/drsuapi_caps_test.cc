// mapi/drsuapi: every cap refuses a count one over it (and the same stub passes at the cap), a
// hostile count is refused before anything is allocated, versions other than the ones we speak
// are named, and what impacket cannot write (linked values, object lists) round-trips through
// our own encoder.
#include <doctest/doctest.h>

#include <algorithm>

#include "mapi/drsuapi/constants.h"
#include "mapi/drsuapi/crack_names.h"
#include "mapi/drsuapi/drs_bind.h"
#include "mapi/drsuapi/get_nc_changes.h"
#include "tests/unit/mapi/drsuapi/drsuapi_test_util.h"

using namespace bh;
using namespace bh::mapi::drsuapi;
using bh::mapi::dcerpc::Uuid;
using bh::mapi::drsuapi::testing::vector;

namespace {

template <class Msg>
using Decode = ParseResult (*)(ByteSpan, Msg&, const Caps&);

// The stub decodes with `field` set to `at`, and fails naming a cap with `at - 1`.
template <class Msg>
void checkCap(const Bytes& wire, Decode<Msg> decode, uint32_t Caps::*field, uint32_t at) {
  Caps caps;
  caps.*field = at;
  Msg m;
  ParseResult ok = decode(wire, m, caps);
  CHECK_MESSAGE(ok.ok(), ok.error);
  caps.*field = at - 1;
  ParseResult over = decode(wire, m, caps);
  REQUIRE(over.status == ParseStatus::Error);
  CHECK_MESSAGE(over.error.find("cap") != std::string::npos, over.error);
}

GetNcChangesReply replyOf(const char* name) {
  GetNcChangesReply rep;
  REQUIRE(decodeGetNcChangesReply(vector(name), rep).ok());
  return rep;
}

}  // namespace

TEST_CASE("each cap of a DRSUAPI stub refuses one more than it allows") {
  checkCap<DrsBindRequest>(vector("bind_request"), decodeDrsBindRequest, &Caps::maxExtensionBytes,
                           48);
  checkCap<DrsBindReply>(vector("bind_reply"), decodeDrsBindReply, &Caps::maxExtensionBytes, 28);
  checkCap<CrackNamesRequest>(vector("crack_request_spn"), decodeCrackNamesRequest, &Caps::maxNames,
                              2);
  checkCap<CrackNamesReply>(vector("crack_reply_not_found"), decodeCrackNamesReply, &Caps::maxNames,
                            2);
  // "exchangeMDB/exch1.bhlab.test" is 28 units; the reply's DN is 38.
  checkCap<CrackNamesRequest>(vector("crack_request_spn"), decodeCrackNamesRequest,
                              &Caps::maxNameChars, 28);
  checkCap<GetNcChangesReply>(vector("getnc_reply"), decodeGetNcChangesReply, &Caps::maxNameChars,
                              38);
  checkCap<GetNcChangesReply>(vector("getnc_reply"), decodeGetNcChangesReply,
                              &Caps::maxPrefixEntries, 4);
  // The schemaInfo entry is 21 bytes, the longest OID_t of the table.
  checkCap<GetNcChangesReply>(vector("getnc_reply"), decodeGetNcChangesReply, &Caps::maxOidBytes,
                              21);
  checkCap<GetNcChangesReply>(vector("getnc_reply"), decodeGetNcChangesReply, &Caps::maxObjects, 1);
  checkCap<GetNcChangesReply>(vector("getnc_reply"), decodeGetNcChangesReply, &Caps::maxAttributes,
                              9);
  checkCap<GetNcChangesReply>(vector("getnc_reply_shuffled"), decodeGetNcChangesReply,
                              &Caps::maxAttributes, 9);  // no metadata vector: the ATTRBLOCK's
  checkCap<GetNcChangesReply>(vector("getnc_reply"), decodeGetNcChangesReply,
                              &Caps::maxValuesPerAttribute, 2);
  checkCap<GetNcChangesReply>(vector("getnc_reply"), decodeGetNcChangesReply, &Caps::maxTotalValues,
                              9);
  checkCap<GetNcChangesReply>(vector("getnc_reply"), decodeGetNcChangesReply, &Caps::maxValueBytes,
                              768);
  checkCap<GetNcChangesReply>(vector("getnc_reply"), decodeGetNcChangesReply, &Caps::maxCursors, 1);

  GetNcChangesRequest req;
  REQUIRE(decodeGetNcChangesRequest(vector("getnc_request_secrets"), req).ok());
  req.pPartialAttrSet = PartialAttrVector{1, 0, {0x9005A, 0x9007D, 0x90092}};
  req.pUpToDateVecDest = UpToDateVectorV1{1, 0, 0, {{*Uuid::parse(kNtdsapiClientGuid), 7}}};
  Bytes wire = encodeGetNcChangesRequest(req);
  checkCap<GetNcChangesRequest>(wire, decodeGetNcChangesRequest, &Caps::maxPartialAttrs, 3);
  checkCap<GetNcChangesRequest>(wire, decodeGetNcChangesRequest, &Caps::maxCursors, 1);

  GetNcChangesReply rep = replyOf("getnc_reply");
  rep.rgValues.resize(2);
  rep.rgValues[1].aval = {1, 2, 3};
  checkCap<GetNcChangesReply>(encodeGetNcChangesReply(rep), decodeGetNcChangesReply,
                              &Caps::maxLinkedValues, 2);
}

TEST_CASE("a hostile count is refused before anything is allocated") {
  // The attribute count of getnc_reply's object, found by its value (9) right after ulFlags 1.
  Bytes wire = vector("getnc_reply");
  GetNcChangesReply rep;
  for (uint32_t bad : {0x7FFFFFFFu, 0xFFFFFFFFu, 1025u}) {
    Bytes damaged = wire;
    bool patched = false;
    for (size_t i = 0; i + 8 <= damaged.size(); i += 4) {
      if (damaged[i] == 1 && damaged[i + 1] == 0 && damaged[i + 2] == 0 && damaged[i + 3] == 0 &&
          damaged[i + 4] == 9 && damaged[i + 5] == 0 && damaged[i + 6] == 0 &&
          damaged[i + 7] == 0) {
        for (int k = 0; k < 4; ++k) {
          damaged[i + 4 + static_cast<size_t>(k)] = static_cast<uint8_t>(bad >> (8 * k));
        }
        patched = true;
        break;
      }
    }
    REQUIRE(patched);
    ParseResult r = decodeGetNcChangesReply(damaged, rep);
    REQUIRE(r.status == ParseStatus::Error);
    CHECK_MESSAGE(r.error.find("ATTRBLOCK attrCount") != std::string::npos, r.error);
  }
  // A MaxCount that cannot fit in the bytes left is truncation, whatever the cap allows.
  Caps loose;
  loose.maxNames = 10000;
  Bytes crack = vector("crack_request");
  // cNames sits at offset 48 (handle 20, versions 8, five u32s 20); its array's MaxCount at 56.
  REQUIRE(crack[48] == 1);
  for (size_t at : {48u, 56u}) {
    Bytes damaged = crack;
    damaged[at] = 0x10;
    damaged[at + 1] = 0x27;  // 10,000
    CrackNamesRequest m;
    ParseResult r = decodeCrackNamesRequest(damaged, m, loose);
    CHECK(r.status == ParseStatus::Error);
  }
}

TEST_CASE("reply versions other than V6 are named as unsupported") {
  Bytes wire = vector("getnc_reply");
  for (uint32_t v : {1u, 2u, 7u, 9u}) {
    Bytes other = wire;
    other[0] = static_cast<uint8_t>(v);
    other[4] = static_cast<uint8_t>(v);
    GetNcChangesReply rep;
    ParseResult r = decodeGetNcChangesReply(other, rep);
    REQUIRE(r.status == ParseStatus::Error);
    CHECK_MESSAGE(r.error.find("unsupported DRS_MSG_GETCHGREPLY version " + std::to_string(v)) !=
                      std::string::npos,
                  r.error);
  }
  Bytes mismatch = wire;
  mismatch[4] = 9;  // pdwOutVersion 6, the union's arm 9
  GetNcChangesReply rep;
  ParseResult r = decodeGetNcChangesReply(mismatch, rep);
  REQUIRE(r.status == ParseStatus::Error);
  CHECK(r.error.find("union arm 9") != std::string::npos);

  Bytes req = vector("getnc_request_secrets");
  req[20] = 10;
  req[24] = 10;
  GetNcChangesRequest m;
  r = decodeGetNcChangesRequest(req, m);
  CHECK(r.error.find("unsupported DRS_MSG_GETCHGREQ version 10") != std::string::npos);

  Bytes crack = vector("crack_reply");
  crack[0] = 2;
  crack[4] = 2;
  CrackNamesReply c;
  r = decodeCrackNamesReply(crack, c);
  CHECK(r.error.find("unsupported DRS_MSG_CRACKREPLY version 2") != std::string::npos);
}

TEST_CASE("malformed counts and pointers are refused by name") {
  // The [ref] pNC of a request cannot be NULL: its referent id is at offset 64.
  Bytes req = vector("getnc_request_secrets");
  REQUIRE(req[64] == 0x00);
  REQUIRE(req[66] == 0x02);
  req[66] = 0;
  GetNcChangesRequest m;
  CHECK(decodeGetNcChangesRequest(req, m).error.find("pNC is NULL") != std::string::npos);
  // A DSNAME whose NameLen disagrees with its array (the request's pNC: MaxCount 1, NameLen 0).
  req = vector("getnc_request_secrets");
  req[req.size() - 6] = 1;  // NameLen
  CHECK(decodeGetNcChangesRequest(req, m).error.find("NameLen") != std::string::npos);
  // A DSNAME without its terminating NUL.
  req = vector("getnc_request_secrets");
  req[req.size() - 1] = 0x41;
  CHECK(decodeGetNcChangesRequest(req, m).error.find("NUL") != std::string::npos);
  // A NULL name in DsCrackNames' rpNames.
  Bytes crack = vector("crack_request");
  REQUIRE(crack[62] == 0x02);  // the first name's referent id 0x00020004, at 60
  std::fill(crack.begin() + 60, crack.begin() + 64, 0);
  CrackNamesRequest c;
  CHECK(decodeCrackNamesRequest(crack, c).error.find("NULL name") != std::string::npos);
}

TEST_CASE("an object list and linked values round-trip through our encoder") {
  // impacket 0.10 types rgValues as a bare DWORD, so no vector of it comes from there; the
  // layout follows MS-DRSR 5.167 and the same NDR rules the vectors check.
  GetNcChangesReply rep = replyOf("getnc_reply");
  ReplEntInfList second = rep.objects[0];
  second.entinf.pName->stringName = utf16("CN=EXCH2,CN=Computers,DC=bhlab,DC=test");
  second.entinf.attrs.resize(2);
  second.pMetaDataExt->resize(2);
  ReplEntInfList third;
  third.entinf.ulFlags = 1;
  rep.objects.push_back(second);
  rep.objects.push_back(third);
  rep.cNumObjects = 3;
  ReplValInfV1 link;
  link.pObject = DsName::of(*Uuid::parse("6b0f4a3e-2d1c-4b5a-9e8f-7a6b5c4d3e2f"),
                            utf16("CN=group,DC=bhlab,DC=test"));
  link.attrTyp = 0x1F;
  link.aval = {0x10, 0x20, 0x30};
  link.fIsPresent = 1;
  link.timeCreated = 1234;
  link.metaData.dwVersion = 3;
  rep.rgValues = {link, ReplValInfV1{}};
  Bytes wire = encodeGetNcChangesReply(rep);
  GetNcChangesReply back;
  ParseResult r = decodeGetNcChangesReply(wire, back);
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.consumed == wire.size());
  CHECK(back == rep);
  CHECK(encodeGetNcChangesReply(back) == wire);
  REQUIRE(back.objects.size() == 3);
  CHECK(back.objects[1].entinf.pName->dnUtf8() == "CN=EXCH2,CN=Computers,DC=bhlab,DC=test");
  Caps two;
  two.maxObjects = 2;
  CHECK(decodeGetNcChangesReply(wire, back, two).error.find("object list over its cap") !=
        std::string::npos);
  testing::checkPrefixes<GetNcChangesReply>(wire, decodeGetNcChangesReply);
}

TEST_CASE("OidFromAttid and MakeAttid (MS-DRSR 5.16.4) through a prefix table") {
  PrefixTable t;
  t.entries = {{0, {0x55, 0x04}},
               {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x14, 0x01, 0x04}},
               {0x4E, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x14, 0x01, 0x04, 0x81}},
               {0, {0xFF, 0, 0, 0, 5}}};  // schemaInfo, never a prefix
  CHECK(oidFromAttid(t, 0x00000000) == "2.5.4.0");
  CHECK(oidFromAttid(t, 0x0009005A) == oid::kUnicodePwd);
  CHECK(oidFromAttid(t, 0x0009007D) == oid::kSupplementalCredentials);
  CHECK(oidFromAttid(t, 0x000900A0) == oid::kLmPwdHistory);          // 160: two bytes
  CHECK(oidFromAttid(t, 0x004E9208) == "1.2.840.113556.1.4.21000");  // an arc >= 16384
  CHECK_FALSE(oidFromAttid(t, 0x00070001));                          // no entry 7
  for (const char* o : {oid::kUnicodePwd, oid::kNtPwdHistory, oid::kLmPwdHistory, oid::kDbcsPwd,
                        oid::kSupplementalCredentials, oid::kObjectSid, oid::kObjectClass,
                        "1.2.840.113556.1.4.21000"}) {
    CAPTURE(o);
    auto a = attidFromOid(t, o);
    REQUIRE(a);
    CHECK(oidFromAttid(t, *a) == o);
  }
  CHECK(attidFromOid(t, oid::kUnicodePwd) == 0x0009005Au);
  CHECK_FALSE(attidFromOid(t, "1.3.6.1.4.1.311.1"));  // prefix not in the table
  CHECK_FALSE(attidFromOid(t, "1.2..3"));
  CHECK_FALSE(attidFromOid(t, "x"));
  // BER forbids a subidentifier that starts with an empty group (X.690 8.19.2).
  PrefixTable bad;
  bad.entries = {{1, {0x2a, 0x80}}, {2, {0x2a, 0x86}}};
  CHECK_FALSE(oidFromAttid(bad, 0x00010005));
  CHECK(oidFromAttid(bad, 0x00020005) == "1.2.773");  // 0x86 0x05: 6 * 128 + 5
}

TEST_CASE("DRS_EXTENSIONS_INT: short forms read as zero beyond cb") {
  DrsExtensionsInt full{.dwFlags = ext::kReplicationClient,
                        .pid = 7,
                        .dwReplEpoch = 2,
                        .dwFlagsExt = 4,
                        .dwExtCaps = 0xFFFFFFFF};
  DrsExtensions e24 = full.serialize(24);
  CHECK(e24.rgb.size() == 24);
  DrsExtensionsInt back = DrsExtensionsInt::parse(e24.rgb);
  CHECK(back.dwFlags == full.dwFlags);
  CHECK(back.pid == 7);
  CHECK(back.dwReplEpoch == 0);
  CHECK(DrsExtensionsInt::parse(full.serialize().rgb) == full);
  CHECK(DrsExtensionsInt::parse({}) == DrsExtensionsInt{});
}
