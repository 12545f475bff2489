#pragma once

// IDL_DRSGetNCChanges (opnum 3, MS-DRSR 4.1.10): request version 8 (DRS_MSG_GETCHGREQ_V8,
// 4.1.10.2.6) and reply version 6 (DRS_MSG_GETCHGREPLY_V6, 4.1.10.2.11), the versions a client
// that announced GETCHGREQ_V8 and GETCHGREPLY_V6 (and no compression) sends and gets back from
// Windows and Samba. Another request version, or a reply version other than 6 (1, 2 and 7 are
// compressed or older, 9 answers a V10 request), is an "unsupported version" error.
//
//   ULONG IDL_DRSGetNCChanges([in, ref] DRS_HANDLE hDrs, [in] DWORD dwInVersion,
//       [in, ref, switch_is(dwInVersion)] DRS_MSG_GETCHGREQ* pmsgIn,
//       [out, ref] DWORD* pdwOutVersion,
//       [out, ref, switch_is(*pdwOutVersion)] DRS_MSG_GETCHGREPLY* pmsgOut);
//
// What the encryption service reads of a reply: returnValue (a Win32 error: Samba answers a
// caller without the replication rights with ERROR_DS_DRA_ACCESS_DENIED 0x2105 here, in an
// otherwise well-formed reply), ulExtendedRet (EXOP_ERR_*), the prefix table, and the object's
// DSNAME and attributes, found by OID with findAttribute().

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "mapi/dcerpc/uuid.h"
#include "mapi/drsuapi/caps.h"
#include "mapi/drsuapi/drs_bind.h"
#include "mapi/drsuapi/ds_name.h"
#include "mapi/drsuapi/prefix_table.h"

namespace bh::mapi::drsuapi {

/// USN_VECTOR (5.206).
struct UsnVector {
  int64_t usnHighObjUpdate = 0;
  int64_t usnReserved = 0;
  int64_t usnHighPropUpdate = 0;
  bool operator==(const UsnVector&) const = default;
};

/// UPTODATE_CURSOR_V1 (5.198) / UPTODATE_VECTOR_V1_EXT (5.200).
struct UpToDateCursorV1 {
  dcerpc::Uuid uuidDsa;
  int64_t usnHighPropUpdate = 0;
  bool operator==(const UpToDateCursorV1&) const = default;
};
struct UpToDateVectorV1 {
  uint32_t dwVersion = 1;
  uint32_t dwReserved1 = 0;
  uint32_t dwReserved2 = 0;
  std::vector<UpToDateCursorV1> rgCursors;  ///< cNumCursors is its size
  bool operator==(const UpToDateVectorV1&) const = default;
};

/// UPTODATE_CURSOR_V2 (5.199) / UPTODATE_VECTOR_V2_EXT (5.201).
struct UpToDateCursorV2 {
  dcerpc::Uuid uuidDsa;
  int64_t usnHighPropUpdate = 0;
  int64_t timeLastSyncSuccess = 0;  ///< DSTIME
  bool operator==(const UpToDateCursorV2&) const = default;
};
struct UpToDateVectorV2 {
  uint32_t dwVersion = 2;
  uint32_t dwReserved1 = 0;
  uint32_t dwReserved2 = 0;
  std::vector<UpToDateCursorV2> rgCursors;
  bool operator==(const UpToDateVectorV2&) const = default;
};

/// PARTIAL_ATTR_VECTOR_V1_EXT (5.146). Samba 4.17 refuses a request that carries one with a
/// prefix table lacking the schemaInfo entry (emapi-lab.md 2.2): leave both sets absent.
struct PartialAttrVector {
  uint32_t dwVersion = 1;
  uint32_t dwReserved1 = 0;
  std::vector<uint32_t> rgPartialAttr;  ///< ATTRTYPs; cAttrs is its size
  bool operator==(const PartialAttrVector&) const = default;
};

/// DRS_MSG_GETCHGREQ_V8 (4.1.10.2.6) with the call's hDrs; dwInVersion is 8.
struct GetNcChangesRequest {
  DrsHandle hDrs;
  dcerpc::Uuid uuidDsaObjDest;
  dcerpc::Uuid uuidInvocIdSrc;
  DsName pNC;  ///< [ref]: the object to replicate (for an extended op), by GUID
  UsnVector usnvecFrom;
  std::optional<UpToDateVectorV1> pUpToDateVecDest;
  uint32_t ulFlags = 0;
  uint32_t cMaxObjects = 0;
  uint32_t cMaxBytes = 0;
  uint32_t ulExtendedOp = 0;  ///< kExopReplSecrets / kExopReplObj
  uint64_t liFsmoInfo = 0;
  std::optional<PartialAttrVector> pPartialAttrSet;
  std::optional<PartialAttrVector> pPartialAttrSetEx1;
  PrefixTable prefixTableDest;
  bool operator==(const GetNcChangesRequest&) const = default;
};

/// PROPERTY_META_DATA_EXT (5.154). dwVersion of unicodePwd's entry is the account's key version
/// number (msDS-KeyVersionNumber is computed from it).
struct PropertyMetaDataExt {
  uint32_t dwVersion = 0;
  int64_t timeChanged = 0;  ///< DSTIME
  dcerpc::Uuid uuidDsaOriginating;
  int64_t usnOriginating = 0;
  bool operator==(const PropertyMetaDataExt&) const = default;
};

/// ATTR (5.9) with its ATTRVALBLOCK (5.17): the values as bytes (secret ones still encrypted:
/// secure/replication opens them).
struct Attr {
  uint32_t attrTyp = 0;
  std::vector<Bytes> values;
  bool operator==(const Attr&) const = default;
};

/// ENTINF (5.53).
struct EntInf {
  std::optional<DsName> pName;
  uint32_t ulFlags = 0;
  std::vector<Attr> attrs;  ///< ATTRBLOCK (5.10); attrCount is its size
  bool operator==(const EntInf&) const = default;
};

/// REPLENTINFLIST (5.162), one element of the reply's object list.
struct ReplEntInfList {
  EntInf entinf;
  uint32_t fIsNCPrefix = 0;
  std::optional<dcerpc::Uuid> pParentGuid;
  /// PROPERTY_META_DATA_EXT_VECTOR (5.155): one entry per attribute, in the same order.
  std::optional<std::vector<PropertyMetaDataExt>> pMetaDataExt;
  bool operator==(const ReplEntInfList&) const = default;
};

/// REPLVALINF_V1 (5.167): one linked-value change (LVR), with VALUE_META_DATA_EXT_V1 (5.211).
struct ReplValInfV1 {
  std::optional<DsName> pObject;
  uint32_t attrTyp = 0;
  Bytes aval;
  uint32_t fIsPresent = 0;
  int64_t timeCreated = 0;
  PropertyMetaDataExt metaData;
  bool operator==(const ReplValInfV1&) const = default;
};

/// DRS_MSG_GETCHGREPLY_V6 (4.1.10.2.11) with the call's return value; pdwOutVersion is 6.
struct GetNcChangesReply {
  dcerpc::Uuid uuidDsaObjSrc;
  dcerpc::Uuid uuidInvocIdSrc;
  std::optional<DsName> pNC;
  UsnVector usnvecFrom;
  UsnVector usnvecTo;
  std::optional<UpToDateVectorV2> pUpToDateVecSrc;
  PrefixTable prefixTableSrc;
  uint32_t ulExtendedRet = 0;  ///< EXOP_ERR_* (kExopErrSuccess)
  uint32_t cNumObjects = 0;    ///< as the DC sent it; `objects` is what the list holds
  uint32_t cNumBytes = 0;
  std::vector<ReplEntInfList> objects;  ///< pObjects, in list order
  uint32_t fMoreData = 0;
  uint32_t cNumNcSizeObjects = 0;
  uint32_t cNumNcSizeValues = 0;
  std::vector<ReplValInfV1> rgValues;  ///< cNumValues is its size
  uint32_t dwDRSError = 0;
  uint32_t returnValue = 0;  ///< the call's ULONG result (Win32 error code)
  bool operator==(const GetNcChangesReply&) const = default;
};

ParseResult decodeGetNcChangesRequest(ByteSpan stub, GetNcChangesRequest& out,
                                      const Caps& caps = {});
Bytes encodeGetNcChangesRequest(const GetNcChangesRequest& in);
ParseResult decodeGetNcChangesReply(ByteSpan stub, GetNcChangesReply& out, const Caps& caps = {});
Bytes encodeGetNcChangesReply(const GetNcChangesReply& in);

/// The first attribute of `object` whose ATTRTYP maps to `oid` under `table` (5.16.4), or null.
const Attr* findAttribute(const EntInf& object, const PrefixTable& table, std::string_view oid);
/// The metadata of that attribute (same index), when the DC sent a metadata vector.
const PropertyMetaDataExt* findMetaData(const ReplEntInfList& object, const PrefixTable& table,
                                        std::string_view oid);

}  // namespace bh::mapi::drsuapi
