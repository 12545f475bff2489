#pragma once

// WCCPv2 message authentication (draft-wilson-wccp-v2-12-oct-2001, 5.6.1 and 6): MD5 over the
// service group's password, NUL-padded to 8 octets, followed by the whole message with the
// digest field zeroed. Passwords are at most 8 octets; a longer one is refused, not truncated
// (two boxes that truncate differently would disagree silently).

#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"

namespace bh::redirect::wccp {

/// A service group's password, checked: at most 8 octets.
class Md5Password {
 public:
  /// nullopt, with `why`, when the password is longer than 8 octets.
  static std::optional<Md5Password> make(std::string_view password, std::string* why = nullptr);
  std::string_view text() const { return text_; }

 private:
  explicit Md5Password(std::string_view text) : text_(text) {}
  std::string text_;
};

/// Writes the digest into `encoded` (a message whose first component is an MD5 Security Info,
/// digest field as it is: it is zeroed first). False when the message has no such component.
bool signMessage(Bytes& encoded, const Md5Password& password);

enum class SecurityVerdict {
  Ok,
  /// The message carries no MD5 Security Info but the group has a password.
  Missing,
  /// The digest does not match: a wrong password, or a changed message.
  Mismatch,
};
const char* securityVerdictName(SecurityVerdict verdict);

/// Checks an MD5-secured message against the group's password.
SecurityVerdict verifyMessage(ByteSpan encoded, const Md5Password& password);

}  // namespace bh::redirect::wccp
