#include "mapi/drsuapi/constants.h"

namespace bh::mapi::drsuapi {

dcerpc::SyntaxId drsuapiInterface() {
  static const dcerpc::SyntaxId id{*dcerpc::Uuid::parse("e3514235-4b06-11d1-ab04-00c04fc2dcd2"), 4,
                                   0};
  return id;
}

const char* exopErrName(uint32_t v) {
  // 4.1.10.2.21, in order from 1.
  static const char* const kNames[] = {"EXOP_ERR_SUCCESS",         "EXOP_ERR_UNKNOWN_OP",
                                       "EXOP_ERR_FSMO_NOT_OWNER",  "EXOP_ERR_UPDATE_ERR",
                                       "EXOP_ERR_EXCEPTION",       "EXOP_ERR_UNKNOWN_CALLER",
                                       "EXOP_ERR_RID_ALLOC",       "EXOP_ERR_FSMO_OWNER_DELETED",
                                       "EXOP_ERR_FSMO_PENDING_OP", "EXOP_ERR_MISMATCH",
                                       "EXOP_ERR_COULDNT_CONTACT", "EXOP_ERR_FSMO_REFUSING_ROLES",
                                       "EXOP_ERR_DIR_ERROR",       "EXOP_ERR_FSMO_MISSING_SETTINGS",
                                       "EXOP_ERR_ACCESS_DENIED",   "EXOP_ERR_PARAM_ERROR"};
  if (v >= 1 && v <= sizeof(kNames) / sizeof(kNames[0])) {
    return kNames[v - 1];
  }
  return v == 0 ? "EXOP_ERR_NONE" : "EXOP_ERR_UNKNOWN";
}

const char* dsNameErrorName(uint32_t status) {
  static const char* const kNames[] = {"DS_NAME_NO_ERROR",
                                       "DS_NAME_ERROR_RESOLVING",
                                       "DS_NAME_ERROR_NOT_FOUND",
                                       "DS_NAME_ERROR_NOT_UNIQUE",
                                       "DS_NAME_ERROR_NO_MAPPING",
                                       "DS_NAME_ERROR_DOMAIN_ONLY",
                                       "DS_NAME_ERROR_NO_SYNTACTICAL_MAPPING",
                                       "DS_NAME_ERROR_TRUST_REFERRAL"};
  if (status < sizeof(kNames) / sizeof(kNames[0])) {
    return kNames[status];
  }
  return "DS_NAME_ERROR_UNKNOWN";
}

}  // namespace bh::mapi::drsuapi
