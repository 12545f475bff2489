#pragma once

// RopLogon (0xFE, MS-OXCROPS 2.2.3.1). The request has no InputHandleIndex. The response has
// three success-or-redirect forms chosen by its own fields: LogonFlags bit Private (0x01) picks
// the private mailbox form (2.2.3.1.2, ResponseFlags, MailboxGuid, LogonTime, GwartTime,
// StoreState) or the public folders form (2.2.3.1.3, PerUserGuid); ReturnValue WrongServer
// (0x478) carries the server to redirect to (2.2.3.1.4); other errors are the header alone.

#include <array>

#include "mapi/rop/rop_common.h"
#include "mapi/rop/rop_id.h"

namespace bh::mapi::rop {

constexpr uint8_t kLogonFlagPrivate = 0x01;
constexpr size_t kLogonFolderIdCount = 13;

struct RopLogonRequest {
  static constexpr RopId kRopId = RopId::RopLogon;
  uint8_t logonId = 0;
  uint8_t outputHandleIndex = 0;
  uint8_t logonFlags = 0;
  uint32_t openFlags = 0;
  uint32_t storeState = 0;
  Bytes essdn;  ///< EssdnSize bytes, a null-terminated DN when not empty
  bool operator==(const RopLogonRequest&) const = default;
};

/// LogonTime (MS-OXCROPS 2.2.3.1.2).
struct LogonTime {
  uint8_t seconds = 0;
  uint8_t minutes = 0;
  uint8_t hour = 0;
  uint8_t dayOfWeek = 0;
  uint8_t day = 0;
  uint8_t month = 0;
  uint16_t year = 0;
  bool operator==(const LogonTime&) const = default;
};

struct RopLogonResponse : RopResponseHeader {
  static constexpr RopId kRopId = RopId::RopLogon;
  uint8_t logonFlags = 0;
  std::array<uint64_t, kLogonFolderIdCount> folderIds{};
  // Private mailbox form.
  uint8_t responseFlags = 0;
  std::array<uint8_t, 16> mailboxGuid{};
  uint16_t replId = 0;                 ///< both forms
  std::array<uint8_t, 16> replGuid{};  ///< both forms
  LogonTime logonTime;
  uint64_t gwartTime = 0;
  uint32_t storeState = 0;
  // Public folders form.
  std::array<uint8_t, 16> perUserGuid{};
  // Redirect form: ServerNameSize (u8) bytes, null-terminated.
  Bytes serverName;

  bool isPrivate() const { return (logonFlags & kLogonFlagPrivate) != 0; }
  bool isRedirect() const { return returnValue == kErrorWrongServer; }
  bool operator==(const RopLogonResponse&) const = default;
};

bool decode(ByteReader& r, RopLogonRequest& x);
void encode(ByteWriter& w, const RopLogonRequest& x);
bool decode(ByteReader& r, RopLogonResponse& x, const ResponseContext& ctx);
void encode(ByteWriter& w, const RopLogonResponse& x);

}  // namespace bh::mapi::rop
