#pragma once
// Why a sealed client association stopped, as a value (issue 17: the encryption service names
// every failure): the failure, the number the peer sent with it (fault status, bind_nak
// reason, context rejection reason) and operator text without payload bytes.

#include <cstdint>
#include <string>

namespace bh::secure::sealed_rpc {

enum class AssociationFailure {
  None,
  Security,         ///< the security provider refused a step (ClientSecurity::lastError)
  BindNak,          ///< bind_nak (C706 12.6.4.5), status = provider_reject_reason
  ContextRejected,  ///< bind_ack refused the presentation context, status = reason
  Fault,            ///< fault PDU (C706 12.6.4.7), status = the nca_s / Win32 status
  VerifyFailed,     ///< a sealed PDU did not verify or decrypt
  AuthMismatch,     ///< missing auth trailer, or another auth type, level or context id
  Malformed,        ///< the peer's bytes are not a valid PDU for this point of the exchange
  Unexpected,       ///< a valid PDU of a type or call_id this state does not expect
  TooLarge,         ///< over a cap (response size, fragment count, request size)
  BadState,         ///< called out of order (a request before the bind completed, ...)
};

/// "bind_nak", "fault", "verify-failed", ...
const char* associationFailureName(AssociationFailure failure);

/// bind_nak's provider_reject_reason (C706 12.6.3.1 p_reject_reason_t; MS-RPCE 2.2.2.5 adds
/// 8 authentication_type_not_recognized and 9 invalid_checksum), or its number.
std::string bindNakReasonName(uint16_t reason);
/// A fault status's name (C706 Appendix E nca_s_*, MS-RPCE 2.2.2.12 / 3.3.2.5.2 Win32 codes),
/// or its hex.
std::string faultStatusName(uint32_t status);

struct AssociationError {
  AssociationFailure failure = AssociationFailure::None;
  uint32_t status = 0;
  std::string detail;

  bool ok() const { return failure == AssociationFailure::None; }
  /// "fault nca_s_op_rng_error (0x1c010002): ..." style text.
  std::string describe() const;
};

}  // namespace bh::secure::sealed_rpc
