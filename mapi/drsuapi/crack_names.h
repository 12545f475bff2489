#pragma once

// IDL_DRSCrackNames (opnum 12, MS-DRSR 4.1.4), version 1 of request and reply: turns a name of
// one format (e.g. DS_NT4_ACCOUNT_NAME "BHLAB\EXCH1$", or an SPN) into another (the object's
// GUID, DS_UNIQUE_ID_NAME, or its DN, DS_FQDN_1779_NAME), one status per name.
//
//   ULONG IDL_DRSCrackNames([in, ref] DRS_HANDLE hDrs, [in] DWORD dwInVersion,
//       [in, ref, switch_is(dwInVersion)] DRS_MSG_CRACKREQ* pmsgIn,
//       [out, ref] DWORD* pdwOutVersion,
//       [out, ref, switch_is(*pdwOutVersion)] DRS_MSG_CRACKREPLY* pmsgOut);

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "mapi/drsuapi/caps.h"
#include "mapi/drsuapi/drs_bind.h"

namespace bh::mapi::drsuapi {

/// DRS_MSG_CRACKREQ_V1 (4.1.4.1.2); cNames is names.size().
struct CrackNamesRequest {
  DrsHandle hDrs;
  uint32_t codePage = 0;
  uint32_t localeId = 0;
  uint32_t dwFlags = 0;
  uint32_t formatOffered = 0;  ///< DS_NAME_FORMAT, e.g. kDsNt4AccountName
  uint32_t formatDesired = 0;  ///< e.g. kDsUniqueIdName
  std::vector<std::u16string> rpNames;
  bool operator==(const CrackNamesRequest&) const = default;
};

/// DS_NAME_RESULT_ITEMW (4.1.4.1.4).
struct DsNameResultItem {
  uint32_t status = 0;  ///< kDsNameNoError, kDsNameErrorNotFound, ...
  std::optional<std::u16string> pDomain;
  std::optional<std::u16string> pName;
  bool operator==(const DsNameResultItem&) const = default;
};

/// DRS_MSG_CRACKREPLY_V1 (4.1.4.1.7) around DS_NAME_RESULTW (4.1.4.1.5). A DC may answer with
/// no result at all (pResult NULL: Samba does for some formats), so check hasResult.
struct CrackNamesReply {
  bool hasResult = true;
  std::vector<DsNameResultItem> items;
  uint32_t returnValue = 0;
  bool operator==(const CrackNamesReply&) const = default;
};

/// Version 1 only: another dwInVersion / pdwOutVersion is an "unsupported version" error. A
/// NULL name pointer in a request is refused as malformed.
ParseResult decodeCrackNamesRequest(ByteSpan stub, CrackNamesRequest& out, const Caps& caps = {});
Bytes encodeCrackNamesRequest(const CrackNamesRequest& in);
ParseResult decodeCrackNamesReply(ByteSpan stub, CrackNamesReply& out, const Caps& caps = {});
Bytes encodeCrackNamesReply(const CrackNamesReply& in);

/// UTF-8 views for callers ("" for an absent or non-UTF-16 string).
std::string utf8(const std::optional<std::u16string>& s);
std::u16string utf16(const std::string& s);

}  // namespace bh::mapi::drsuapi
