#pragma once

// The DRSUAPI interface (MS-DRSR 4.1, "drsuapi") and the constants the encryption service uses,
// in the spec's own names.

#include <cstdint>

#include "mapi/dcerpc/uuid.h"

namespace bh::mapi::drsuapi {

/// e3514235-4b06-11d1-ab04-00c04fc2dcd2 version 4.0 (MS-DRSR 4.1).
dcerpc::SyntaxId drsuapiInterface();

constexpr uint16_t kOpnumDrsBind = 0;          ///< IDL_DRSBind (4.1.3)
constexpr uint16_t kOpnumDrsUnbind = 1;        ///< IDL_DRSUnbind (4.1.25)
constexpr uint16_t kOpnumDrsGetNcChanges = 3;  ///< IDL_DRSGetNCChanges (4.1.10)
constexpr uint16_t kOpnumDrsCrackNames = 12;   ///< IDL_DRSCrackNames (4.1.4)

/// NTDSAPI_CLIENT_GUID (5.137): puuidClientDsa of a client that is not a DC.
constexpr const char* kNtdsapiClientGuid = "e24d201a-4fd6-11d1-a3da-0000f875ae0d";

/// DRS_EXTENSIONS_INT.dwFlags bits (5.39).
namespace ext {
constexpr uint32_t kBase = 0x00000001;
constexpr uint32_t kAsyncRepl = 0x00000002;
constexpr uint32_t kRemoveApi = 0x00000004;
constexpr uint32_t kMoveReqV2 = 0x00000008;
constexpr uint32_t kGetChgDeflate = 0x00000010;
constexpr uint32_t kDcInfoV1 = 0x00000020;
constexpr uint32_t kRestoreUsnOptimization = 0x00000040;
constexpr uint32_t kAddEntry = 0x00000080;
constexpr uint32_t kKccExecute = 0x00000100;
constexpr uint32_t kAddEntryV2 = 0x00000200;
constexpr uint32_t kLinkedValueReplication = 0x00000400;
constexpr uint32_t kDcInfoV2 = 0x00000800;
constexpr uint32_t kInstanceTypeNotReqOnMod = 0x00001000;
constexpr uint32_t kCryptoBind = 0x00002000;
constexpr uint32_t kGetReplInfo = 0x00004000;
constexpr uint32_t kStrongEncryption = 0x00008000;
constexpr uint32_t kDcInfoVFFFFFFFF = 0x00010000;
constexpr uint32_t kTransitiveMembership = 0x00020000;
constexpr uint32_t kAddSidHistory = 0x00040000;
constexpr uint32_t kPostBeta3 = 0x00080000;
constexpr uint32_t kGetChgReqV5 = 0x00100000;
constexpr uint32_t kGetMemberships2 = 0x00200000;
constexpr uint32_t kGetChgReqV6 = 0x00400000;
constexpr uint32_t kNonDomainNcs = 0x00800000;
constexpr uint32_t kGetChgReqV8 = 0x01000000;
constexpr uint32_t kGetChgReplyV5 = 0x02000000;
constexpr uint32_t kGetChgReplyV6 = 0x04000000;
constexpr uint32_t kWhistlerBeta3 = 0x08000000;
constexpr uint32_t kW2k3Deflate = 0x10000000;
constexpr uint32_t kGetChgReqV10 = 0x20000000;
/// What a replication client that sends DRS_MSG_GETCHGREQ_V8 and reads DRS_MSG_GETCHGREPLY_V6
/// announces: the request and reply versions it speaks, and STRONG_ENCRYPTION (the client takes
/// secret attributes encrypted with the session key, 4.1.10.6.17); impacket's DCSync sends the
/// same bits.
constexpr uint32_t kReplicationClient = kBase | kRestoreUsnOptimization | kStrongEncryption |
                                        kGetChgReqV6 | kGetChgReqV8 | kGetChgReplyV6;
}  // namespace ext

/// ulExtendedOp (4.1.10.2.22 EXOP_REQ).
constexpr uint32_t kExopReplObj = 0x00000006;
constexpr uint32_t kExopReplSecrets = 0x00000007;

/// ulExtendedRet (4.1.10.2.21 EXOP_ERR).
constexpr uint32_t kExopErrSuccess = 0x00000001;
constexpr uint32_t kExopErrAccessDenied = 0x0000000F;
constexpr uint32_t kExopErrParamError = 0x00000010;
/// The EXOP_ERR name ("EXOP_ERR_SUCCESS"); "EXOP_ERR_NONE" for 0 (what Samba sends with a
/// refused EXOP_REPL_SECRETS), "EXOP_ERR_UNKNOWN" for a value 4.1.10.2.21 does not name.
const char* exopErrName(uint32_t v);

/// ulFlags (5.41 DRS_OPTIONS) a single-object fetch uses.
constexpr uint32_t kDrsWritRep = 0x00000010;
constexpr uint32_t kDrsInitSync = 0x00000020;

/// DS_NAME_FORMAT (4.1.4.1.3) and the constants of 4.1.4.1.2 the service may use.
constexpr uint32_t kDsFqdn1779Name = 1;
constexpr uint32_t kDsNt4AccountName = 2;
constexpr uint32_t kDsUniqueIdName = 6;
constexpr uint32_t kDsUserPrincipalName = 8;
constexpr uint32_t kDsServicePrincipalName = 10;
constexpr uint32_t kDsNt4AccountNameSansDomain = 0xFFFFFFF9;

/// DS_NAME_ERROR (4.1.4.1.4 DS_NAME_RESULT_ITEMW.status).
constexpr uint32_t kDsNameNoError = 0;
constexpr uint32_t kDsNameErrorResolving = 1;
constexpr uint32_t kDsNameErrorNotFound = 2;
constexpr uint32_t kDsNameErrorNotUnique = 3;
constexpr uint32_t kDsNameErrorNoMapping = 4;
constexpr uint32_t kDsNameErrorDomainOnly = 5;
constexpr uint32_t kDsNameErrorNoSyntacticalMapping = 6;
constexpr uint32_t kDsNameErrorTrustReferral = 7;
/// "DS_NAME_ERROR_NOT_FOUND" etc., "DS_NAME_ERROR_UNKNOWN" for a value 4.1.4.1.4 does not name.
const char* dsNameErrorName(uint32_t status);

/// Win32 codes a DC returns as the call's result (MS-ERREF 2.2).
constexpr uint32_t kErrorSuccess = 0;
constexpr uint32_t kErrorDsDraAccessDenied = 0x00002105;  ///< no replication rights
constexpr uint32_t kErrorDsDraBadDn = 0x000020F7;
constexpr uint32_t kErrorDsDraInvalidParameter = 0x000020F5;
constexpr uint32_t kErrorDsDraSecretsDenied = 0x000021B6;  ///< EXOP_REPL_SECRETS refused

}  // namespace bh::mapi::drsuapi
