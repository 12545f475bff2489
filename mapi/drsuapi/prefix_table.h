#pragma once

// SCHEMA_PREFIX_TABLE (MS-DRSR 5.180) and the ATTRTYP-to-OID mapping (5.16.4). An ATTRTYP is
// (prefix index << 16) | low word: its meaning depends on the table the DC sent with it
// (DRS_MSG_GETCHGREPLY_V6.PrefixTableSrc). Callers find attributes by OID through it, never by
// a hard-coded ATTRTYP.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"

namespace bh::mapi::drsuapi {

/// PrefixTableEntry (5.153): ndx and the BER encoding (X.690 8.19, no tag or length) of an OID
/// prefix (OID_t, 5.142).
struct PrefixTableEntry {
  uint32_t ndx = 0;
  Bytes prefix;
  bool operator==(const PrefixTableEntry&) const = default;
};

struct PrefixTable {
  std::vector<PrefixTableEntry> entries;
  bool operator==(const PrefixTable&) const = default;
};

/// OidFromAttid (5.16.4): the dotted OID of an ATTRTYP under `table`, or nullopt when no entry
/// has its index or the result is not a valid OID. The first entry with the index wins; the
/// schemaInfo entry Windows and Samba append (its prefix starts with 0xFF, 5.180) never matches.
std::optional<std::string> oidFromAttid(const PrefixTable& table, uint32_t attrTyp);

/// MakeAttid (5.16.4) against a given table, without adding entries: the ATTRTYP that names
/// `oid` under `table`, or nullopt when its prefix is not in the table or the OID is malformed.
std::optional<uint32_t> attidFromOid(const PrefixTable& table, std::string_view oid);

/// The OIDs of the attributes the encryption service reads (MS-ADA1, MS-ADA3).
namespace oid {
constexpr const char* kUnicodePwd = "1.2.840.113556.1.4.90";
constexpr const char* kNtPwdHistory = "1.2.840.113556.1.4.94";
constexpr const char* kLmPwdHistory = "1.2.840.113556.1.4.160";
constexpr const char* kDbcsPwd = "1.2.840.113556.1.4.55";
constexpr const char* kSupplementalCredentials = "1.2.840.113556.1.4.125";
constexpr const char* kObjectSid = "1.2.840.113556.1.4.146";
constexpr const char* kSamAccountName = "1.2.840.113556.1.4.221";
constexpr const char* kUserPrincipalName = "1.2.840.113556.1.4.656";
constexpr const char* kServicePrincipalName = "1.2.840.113556.1.4.771";
constexpr const char* kObjectClass = "2.5.4.0";
}  // namespace oid

}  // namespace bh::mapi::drsuapi
