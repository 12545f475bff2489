#include "secure/sealed_rpc/association_error.h"

#include <cstdio>

namespace bh::secure::sealed_rpc {

namespace {
std::string hex32(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}
}  // namespace

const char* associationFailureName(AssociationFailure failure) {
  switch (failure) {
    case AssociationFailure::None:
      return "ok";
    case AssociationFailure::Security:
      return "security";
    case AssociationFailure::BindNak:
      return "bind_nak";
    case AssociationFailure::ContextRejected:
      return "context-rejected";
    case AssociationFailure::Fault:
      return "fault";
    case AssociationFailure::VerifyFailed:
      return "verify-failed";
    case AssociationFailure::AuthMismatch:
      return "auth-mismatch";
    case AssociationFailure::Malformed:
      return "malformed";
    case AssociationFailure::Unexpected:
      return "unexpected-pdu";
    case AssociationFailure::TooLarge:
      return "too-large";
    case AssociationFailure::BadState:
      return "bad-state";
  }
  return "unknown";
}

std::string bindNakReasonName(uint16_t reason) {
  static const char* const kNames[] = {
      "reason_not_specified",
      "temporary_congestion",
      "local_limit_exceeded",
      "called_paddr_unknown",
      "protocol_version_not_supported",
      "default_context_not_supported",
      "user_data_not_readable",
      "no_psap_available",
      "authentication_type_not_recognized",
      "invalid_checksum",
  };
  if (reason < sizeof kNames / sizeof kNames[0]) {
    return kNames[reason];
  }
  return "reason " + std::to_string(reason);
}

std::string faultStatusName(uint32_t status) {
  switch (status) {
    case 0x00000005:
      return "nca_s_fault_access_denied";
    case 0x000006f7:
      return "nca_s_fault_ndr";
    case 0x000006d8:
      return "nca_s_fault_cant_perform";
    case 0x00000721:
      return "nca_s_fault_sec_pkg_error";
    case 0x1c000001:
      return "nca_s_fault_int_div_by_zero";
    case 0x1c00001b:
      return "nca_s_fault_remote_no_memory";
    case 0x1c010002:
      return "nca_s_op_rng_error";
    case 0x1c010003:
      return "nca_s_unknown_if";
    case 0x1c01000b:
      return "nca_s_proto_error";
    case 0x1c00001a:
      return "nca_s_fault_context_mismatch";
    case 0x1c000012:
      return "nca_s_fault_unspec";
  }
  return hex32(status);
}

std::string AssociationError::describe() const {
  if (ok()) {
    return "ok";
  }
  std::string s = associationFailureName(failure);
  if (failure == AssociationFailure::Fault) {
    s += " " + faultStatusName(status) + " (" + hex32(status) + ")";
  } else if (failure == AssociationFailure::BindNak) {
    s += " " + bindNakReasonName(static_cast<uint16_t>(status));
  } else if (failure == AssociationFailure::ContextRejected) {
    s += " (reason " + std::to_string(status) + ")";
  }
  if (!detail.empty()) {
    s += ": " + detail;
  }
  return s;
}

}  // namespace bh::secure::sealed_rpc
