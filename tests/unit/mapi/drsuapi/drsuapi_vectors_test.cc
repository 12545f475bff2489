// mapi/drsuapi against tests/vectors/drsuapi/, stubs marshalled by python3-impacket's DRSUAPI NDR
// classes and read back whole by Samba's pidl NDR, which also marshals them again
// (make_vectors.py): independent NDR implementations made every byte. Each stub decodes to the
// fields the script put in and re-encodes to the same bytes; every strict prefix of it is a clean
// error.
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
using bh::mapi::drsuapi::testing::checkPrefixes;
using bh::mapi::drsuapi::testing::fieldsOf;
using bh::mapi::drsuapi::testing::hexBytes;
using bh::mapi::drsuapi::testing::vector;

TEST_CASE("DRSBind request and reply vectors decode and re-encode identically") {
  Bytes wire = vector("bind_request");
  auto f = fieldsOf("bind_request");
  DrsBindRequest req;
  ParseResult r = decodeDrsBindRequest(wire, req);
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.consumed == wire.size());
  REQUIRE(req.puuidClientDsa);
  CHECK(req.puuidClientDsa->toString() == f["client_dsa"].get<std::string>());
  CHECK(req.puuidClientDsa->toString() == kNtdsapiClientGuid);
  REQUIRE(req.pextClient);
  CHECK(req.pextClient->rgb.size() == f["cb"].get<size_t>());
  DrsExtensionsInt ext = DrsExtensionsInt::parse(req.pextClient->rgb);
  CHECK(ext.dwFlags == f["flags"].get<uint32_t>());
  CHECK(ext.dwFlags == ext::kReplicationClient);
  CHECK(ext.dwExtCaps == 0);  // cb 48: dwExtCaps is beyond it, so it reads as zero
  CHECK(encodeDrsBindRequest(req) == wire);
  // What the service will send: the same bytes from the constants alone.
  DrsBindRequest mine{Uuid::parse(kNtdsapiClientGuid),
                      DrsExtensionsInt{.dwFlags = ext::kReplicationClient}.serialize(48)};
  CHECK(encodeDrsBindRequest(mine) == wire);
  checkPrefixes<DrsBindRequest>(wire, decodeDrsBindRequest);

  wire = vector("bind_reply");
  f = fieldsOf("bind_reply");
  DrsBindReply rep;
  r = decodeDrsBindReply(wire, rep);
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.consumed == wire.size());
  REQUIRE(rep.ppextServer);
  CHECK(rep.ppextServer->rgb.size() == 28);
  ext = DrsExtensionsInt::parse(rep.ppextServer->rgb);
  CHECK(ext.dwFlags == f["flags"].get<uint32_t>());
  CHECK((ext.dwFlags & ext::kGetChgReplyV6) != 0);
  CHECK((ext.dwFlags & ext::kStrongEncryption) != 0);
  CHECK(ext.pid == f["pid"].get<uint32_t>());
  CHECK(ext.dwReplEpoch == f["repl_epoch"].get<uint32_t>());
  CHECK(ext.dwFlagsExt == 0);
  CHECK(ext.serialize(28) == *rep.ppextServer);
  CHECK(Bytes(rep.phDrs.bytes.begin(), rep.phDrs.bytes.end()) ==
        hexBytes(f["handle"].get<std::string>()));
  CHECK(rep.returnValue == 0);
  CHECK(encodeDrsBindReply(rep) == wire);
  checkPrefixes<DrsBindReply>(wire, decodeDrsBindReply);
}

TEST_CASE("DRSUnbind request and reply vectors decode and re-encode identically") {
  Bytes wire = vector("unbind_request");
  DrsUnbindRequest req;
  REQUIRE(decodeDrsUnbindRequest(wire, req).ok());
  CHECK(Bytes(req.phDrs.bytes.begin(), req.phDrs.bytes.end()) ==
        hexBytes(fieldsOf("unbind_request")["handle"].get<std::string>()));
  CHECK(encodeDrsUnbindRequest(req) == wire);
  checkPrefixes<DrsUnbindRequest>(wire, decodeDrsUnbindRequest);

  wire = vector("unbind_reply");
  DrsUnbindReply rep;
  REQUIRE(decodeDrsUnbindReply(wire, rep).ok());
  CHECK(rep.phDrs.isNull());
  CHECK(rep.returnValue == 0);
  CHECK(encodeDrsUnbindReply(rep) == wire);
  checkPrefixes<DrsUnbindReply>(wire, decodeDrsUnbindReply);
}

TEST_CASE("DRSCrackNames request vectors: the account's NT4 name, its SPNs") {
  for (const char* name : {"crack_request", "crack_request_spn"}) {
    CAPTURE(name);
    Bytes wire = vector(name);
    auto f = fieldsOf(name);
    CrackNamesRequest req;
    ParseResult r = decodeCrackNamesRequest(wire, req);
    REQUIRE_MESSAGE(r.ok(), r.error);
    CHECK(r.consumed == wire.size());
    CHECK(req.formatOffered == f["offered"].get<uint32_t>());
    CHECK(req.formatDesired == f["desired"].get<uint32_t>());
    REQUIRE(req.rpNames.size() == f["names"].size());
    for (size_t i = 0; i < req.rpNames.size(); ++i) {
      CHECK(utf8(req.rpNames[i]) == f["names"][i].get<std::string>());
    }
    CHECK(encodeCrackNamesRequest(req) == wire);
    checkPrefixes<CrackNamesRequest>(wire, decodeCrackNamesRequest);
  }
  CrackNamesRequest mine;
  mine.hDrs.bytes = {0,    0,    0,    0,    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                     0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
  mine.formatOffered = kDsNt4AccountName;
  mine.formatDesired = kDsUniqueIdName;
  mine.rpNames = {utf16("BHLAB\\EXCH1$")};
  CHECK(encodeCrackNamesRequest(mine) == vector("crack_request"));
}

TEST_CASE("DRSCrackNames reply vectors: a GUID found, a name not found") {
  for (const char* name : {"crack_reply", "crack_reply_not_found"}) {
    CAPTURE(name);
    Bytes wire = vector(name);
    auto f = fieldsOf(name);
    CrackNamesReply rep;
    ParseResult r = decodeCrackNamesReply(wire, rep);
    REQUIRE_MESSAGE(r.ok(), r.error);
    CHECK(r.consumed == wire.size());
    CHECK(rep.hasResult);
    REQUIRE(rep.items.size() == f["items"].size());
    for (size_t i = 0; i < rep.items.size(); ++i) {
      const auto& want = f["items"][i];
      CHECK(rep.items[i].status == want["status"].get<uint32_t>());
      CHECK(rep.items[i].pDomain.has_value() == !want["domain"].is_null());
      CHECK(rep.items[i].pName.has_value() == !want["name"].is_null());
      if (!want["name"].is_null()) {
        CHECK(utf8(rep.items[i].pName) == want["name"].get<std::string>());
        CHECK(utf8(rep.items[i].pDomain) == want["domain"].get<std::string>());
      }
    }
    CHECK(rep.returnValue == f["return"].get<uint32_t>());
    CHECK(encodeCrackNamesReply(rep) == wire);
    checkPrefixes<CrackNamesReply>(wire, decodeCrackNamesReply);
  }
  CrackNamesReply nf;
  REQUIRE(decodeCrackNamesReply(vector("crack_reply_not_found"), nf).ok());
  CHECK(nf.items[0].status == kDsNameErrorNotFound);
  CHECK(std::string(dsNameErrorName(nf.items[0].status)) == "DS_NAME_ERROR_NOT_FOUND");
}

TEST_CASE("DRSGetNCChanges V8 request vectors: EXOP_REPL_SECRETS and EXOP_REPL_OBJ, no PAS") {
  for (const char* name : {"getnc_request_secrets", "getnc_request_obj"}) {
    CAPTURE(name);
    Bytes wire = vector(name);
    auto f = fieldsOf(name);
    GetNcChangesRequest req;
    ParseResult r = decodeGetNcChangesRequest(wire, req);
    REQUIRE_MESSAGE(r.ok(), r.error);
    CHECK(r.consumed == wire.size());
    CHECK(req.ulExtendedOp == f["exop"].get<uint32_t>());
    CHECK(req.ulFlags == f["flags"].get<uint32_t>());
    CHECK(req.cMaxObjects == f["max_objects"].get<uint32_t>());
    CHECK(req.pNC.guid.toString() == f["nc_guid"].get<std::string>());
    CHECK(req.pNC.stringName.empty());
    CHECK(req.pNC.structLen == 58);
    CHECK_FALSE(req.pPartialAttrSet);
    CHECK_FALSE(req.pPartialAttrSetEx1);
    CHECK_FALSE(req.pUpToDateVecDest);
    CHECK(req.prefixTableDest.entries.empty());
    CHECK(encodeGetNcChangesRequest(req) == wire);
    checkPrefixes<GetNcChangesRequest>(wire, decodeGetNcChangesRequest);
  }
  // What the service will send for EXOP_REPL_SECRETS: the same bytes from the constants.
  GetNcChangesRequest mine;
  Bytes handle = hexBytes(fieldsOf("unbind_request")["handle"].get<std::string>());
  std::copy(handle.begin(), handle.end(), mine.hDrs.bytes.begin());
  mine.uuidDsaObjDest = *Uuid::parse(kNtdsapiClientGuid);
  mine.uuidInvocIdSrc = mine.uuidDsaObjDest;
  mine.pNC =
      DsName::of(*Uuid::parse(fieldsOf("getnc_request_secrets")["nc_guid"].get<std::string>()));
  mine.ulFlags = kDrsInitSync | kDrsWritRep;
  mine.cMaxObjects = 1;
  mine.ulExtendedOp = kExopReplSecrets;
  CHECK(encodeGetNcChangesRequest(mine) == vector("getnc_request_secrets"));
}

TEST_CASE("pad bytes are not read: impacket's own filler decodes to the same request") {
  GetNcChangesRequest zero, filled;
  REQUIRE(decodeGetNcChangesRequest(vector("getnc_request_secrets"), zero).ok());
  Bytes wire = vector("getnc_request_impacket_fill");
  CHECK(wire != vector("getnc_request_secrets"));
  REQUIRE(decodeGetNcChangesRequest(wire, filled).ok());
  CHECK(filled == zero);
  CHECK(encodeGetNcChangesRequest(filled) == vector("getnc_request_secrets"));
}

namespace {

void checkReplyObject(const GetNcChangesReply& rep, const nlohmann::json& f) {
  REQUIRE(rep.objects.size() == 1);
  const auto& want = f["objects"][0];
  const ReplEntInfList& o = rep.objects[0];
  REQUIRE(o.entinf.pName);
  CHECK(o.entinf.pName->guid.toString() == want["guid"].get<std::string>());
  CHECK(o.entinf.pName->dnUtf8() == want["dn"].get<std::string>());
  CHECK(Bytes(o.entinf.pName->sidBytes().begin(), o.entinf.pName->sidBytes().end()) ==
        hexBytes(want["sid"].get<std::string>()));
  REQUIRE(o.entinf.attrs.size() == want["attributes"].size());
  for (const auto& a : want["attributes"]) {
    CAPTURE(a["name"].get<std::string>());
    const Attr* got = findAttribute(o.entinf, rep.prefixTableSrc, a["oid"].get<std::string>());
    REQUIRE(got != nullptr);
    CHECK(got->attrTyp == a["attrtyp"].get<uint32_t>());
    CHECK(oidFromAttid(rep.prefixTableSrc, got->attrTyp) == a["oid"].get<std::string>());
    REQUIRE(got->values.size() == a["values"].size());
    for (size_t k = 0; k < got->values.size(); ++k) {
      CHECK(got->values[k] == hexBytes(a["values"][k].get<std::string>()));
    }
  }
  if (want["meta_versions"].empty()) {
    CHECK_FALSE(o.pMetaDataExt);
  } else {
    REQUIRE(o.pMetaDataExt);
    REQUIRE(o.pMetaDataExt->size() == want["meta_versions"].size());
    for (size_t i = 0; i < o.pMetaDataExt->size(); ++i) {
      CHECK((*o.pMetaDataExt)[i].dwVersion == want["meta_versions"][i].get<uint32_t>());
    }
    const PropertyMetaDataExt* m = findMetaData(o, rep.prefixTableSrc, oid::kUnicodePwd);
    REQUIRE(m != nullptr);
    CHECK(m->dwVersion == 5);  // unicodePwd is the fourth attribute: version 2 + 3
  }
  if (want["parent_guid"].is_null()) {
    CHECK_FALSE(o.pParentGuid);
  } else {
    REQUIRE(o.pParentGuid);
    CHECK(o.pParentGuid->toString() == want["parent_guid"].get<std::string>());
  }
}

}  // namespace

TEST_CASE("DRSGetNCChanges V6 reply vectors: the account's secrets found by OID") {
  for (const char* name : {"getnc_reply", "getnc_reply_shuffled"}) {
    CAPTURE(name);
    Bytes wire = vector(name);
    auto f = fieldsOf(name);
    GetNcChangesReply rep;
    ParseResult r = decodeGetNcChangesReply(wire, rep);
    REQUIRE_MESSAGE(r.ok(), r.error);
    CHECK(r.consumed == wire.size());
    CHECK(rep.returnValue == 0);
    CHECK(rep.ulExtendedRet == kExopErrSuccess);
    CHECK(std::string(exopErrName(rep.ulExtendedRet)) == "EXOP_ERR_SUCCESS");
    CHECK(rep.uuidDsaObjSrc.toString() == f["server_dsa"].get<std::string>());
    CHECK(rep.uuidInvocIdSrc.toString() == f["invocation_id"].get<std::string>());
    REQUIRE(rep.prefixTableSrc.entries.size() == f["prefix_table"].size());
    for (size_t i = 0; i < rep.prefixTableSrc.entries.size(); ++i) {
      CHECK(rep.prefixTableSrc.entries[i].ndx == f["prefix_table"][i]["ndx"].get<uint32_t>());
      CHECK(rep.prefixTableSrc.entries[i].prefix ==
            hexBytes(f["prefix_table"][i]["prefix"].get<std::string>()));
    }
    REQUIRE(rep.pNC);
    CHECK(rep.pNC->dnUtf8() == "CN=EXCH1,CN=Computers,DC=bhlab,DC=test");
    CHECK(rep.usnvecTo.usnHighObjUpdate == 4242);
    checkReplyObject(rep, f);
    CHECK(encodeGetNcChangesReply(rep) == wire);
    checkPrefixes<GetNcChangesReply>(wire, decodeGetNcChangesReply);
  }
  GetNcChangesReply a, b;
  REQUIRE(decodeGetNcChangesReply(vector("getnc_reply"), a).ok());
  REQUIRE(decodeGetNcChangesReply(vector("getnc_reply_shuffled"), b).ok());
  // The same attribute under two tables: different ATTRTYPs, the same OID, the same value.
  const Attr* pa = findAttribute(a.objects[0].entinf, a.prefixTableSrc, oid::kUnicodePwd);
  const Attr* pb = findAttribute(b.objects[0].entinf, b.prefixTableSrc, oid::kUnicodePwd);
  REQUIRE(pa != nullptr);
  REQUIRE(pb != nullptr);
  CHECK(pa->attrTyp == 0x0009005A);
  CHECK(pb->attrTyp == 0x001A005A);
  CHECK(pa->values == pb->values);
  // The up-to-date vector of the first one.
  REQUIRE(a.pUpToDateVecSrc);
  REQUIRE(a.pUpToDateVecSrc->rgCursors.size() == 1);
  CHECK(a.pUpToDateVecSrc->rgCursors[0].usnHighPropUpdate == 4242);
  CHECK(a.pUpToDateVecSrc->rgCursors[0].timeLastSyncSuccess == 13400000000);
  CHECK_FALSE(b.pUpToDateVecSrc);
}

TEST_CASE("DRSGetNCChanges reply: access denied is the return value of a well-formed reply") {
  Bytes wire = vector("getnc_reply_denied");
  GetNcChangesReply rep;
  ParseResult r = decodeGetNcChangesReply(wire, rep);
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.consumed == wire.size());
  CHECK(rep.returnValue == kErrorDsDraAccessDenied);
  CHECK(rep.objects.empty());
  CHECK_FALSE(rep.pNC);
  CHECK(rep.prefixTableSrc.entries.empty());
  CHECK(encodeGetNcChangesReply(rep) == wire);
  checkPrefixes<GetNcChangesReply>(wire, decodeGetNcChangesReply);
}

TEST_CASE("Samba's own marshalling of the same values decodes to them too") {
  // Samba writes an embedded [ref] pointer as 0xAEF1AEF1 rather than a referent id, and
  // computes DRS_MSG_GETCHGREPLY_V6's cNumBytes itself: the DC's bytes, read the same way.
  for (const char* name : {"getnc_request_secrets", "getnc_request_obj"}) {
    CAPTURE(name);
    Bytes samba = vector(std::string(name) + "_samba");
    CHECK(samba != vector(name));
    GetNcChangesRequest fromSamba, fromImpacket;
    ParseResult r = decodeGetNcChangesRequest(samba, fromSamba);
    REQUIRE_MESSAGE(r.ok(), r.error);
    CHECK(r.consumed == samba.size());
    REQUIRE(decodeGetNcChangesRequest(vector(name), fromImpacket).ok());
    CHECK(fromSamba == fromImpacket);
    checkPrefixes<GetNcChangesRequest>(samba, decodeGetNcChangesRequest);
  }
  for (const char* name : {"getnc_reply", "getnc_reply_shuffled", "getnc_reply_denied"}) {
    CAPTURE(name);
    Bytes samba = vector(std::string(name) + "_samba");
    GetNcChangesReply fromSamba, fromImpacket;
    ParseResult r = decodeGetNcChangesReply(samba, fromSamba);
    REQUIRE_MESSAGE(r.ok(), r.error);
    CHECK(r.consumed == samba.size());
    REQUIRE(decodeGetNcChangesReply(vector(name), fromImpacket).ok());
    CHECK(fromSamba.cNumBytes != 0);
    CHECK(fromSamba.returnValue == fromImpacket.returnValue);
    fromSamba.cNumBytes = fromImpacket.cNumBytes;
    CHECK(fromSamba == fromImpacket);
    CHECK(encodeGetNcChangesReply(fromSamba) == vector(name));
    checkPrefixes<GetNcChangesReply>(samba, decodeGetNcChangesReply);
  }
}
