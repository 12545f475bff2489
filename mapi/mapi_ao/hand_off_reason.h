#pragma once

// Why the MAPI AO gave a connection to the generic AO (seed: "In the following cases, the MAPI
// AO does not handle a connection", and Problem 5, NTLM). Shared by the halves, their record
// channel (HandOff carries it) and the counters.

#include <cstddef>
#include <cstdint>

namespace bh::mapi::mapi_ao {

enum class HandOffReason : uint8_t {
  Encrypted,          ///< the bind asked for signing or sealing (also marks the connection secured)
  Ntlm,               ///< NTLM authentication
  UnsupportedClient,  ///< client older than Outlook 2000, or a version we cannot read
  ExchangeToExchange,  ///< server-to-server traffic
  ParseError,          ///< unrecoverable parse error (the client's reconnects are handed off)
  Overload,            ///< no MAPI connection resource / new association group while overloaded
  Other,
};
inline constexpr size_t kHandOffReasonCount = 7;

/// "encrypted", "ntlm", "unsupported-client", ... (JSON and log words).
const char* handOffReasonName(HandOffReason r);

}  // namespace bh::mapi::mapi_ao
