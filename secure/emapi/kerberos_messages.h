#pragma once

// The Kerberos messages a passive acceptor reads from a DCE/RPC bind (RFC 4120 5.5.1 KRB_AP_REQ,
// 5.5.2 KRB_AP_REP, 5.3 Ticket and EncTicketPart, 5.5.1 Authenticator, 5.5.2 EncAPRepPart),
// decoded from DER over byte spans. The outer messages are framed first (their DER length against
// kMaxApMessage, need-more while cut), then read; the encrypted parts stay spans into the input
// (the caller keeps the bytes alive) and their plaintexts, once decrypted (ap_exchange.h), are
// read by the decoders of the inner parts. Pure: no krb5, no allocation beyond the results, no
// exception.

#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/parse_result.h"

namespace bh::secure::emapi {

/// The largest AP-REQ or AP-REP read: auth_length is 16 bits (MS-RPCE 2.2.2.11), and a ticket
/// with its PAC is some KiB.
inline constexpr size_t kMaxApMessage = 65535;
/// At most this many name components (a service principal has 2, AD's DRS SPN 3).
inline constexpr size_t kMaxNameComponents = 8;

/// RFC 3961 key usages of the AP exchange (RFC 4120 7.5.1).
inline constexpr int32_t kUsageTicket = 2;
inline constexpr int32_t kUsageAuthenticator = 11;
inline constexpr int32_t kUsageApRepEncPart = 12;

/// EncryptedData (RFC 4120 5.2.9); `cipher` points into the decoded input.
struct EncryptedData {
  int32_t etype = 0;
  std::optional<uint32_t> kvno;
  ByteSpan cipher;
};

/// EncryptionKey (RFC 4120 5.2.9). Secret: wiped when destroyed.
struct KeyBlock {
  int32_t enctype = 0;
  Bytes value;

  KeyBlock() = default;
  KeyBlock(int32_t e, Bytes v) : enctype(e), value(std::move(v)) {}
  KeyBlock(const KeyBlock&) = default;
  KeyBlock& operator=(const KeyBlock&) = default;
  KeyBlock(KeyBlock&&) noexcept = default;
  KeyBlock& operator=(KeyBlock&&) noexcept = default;
  ~KeyBlock();
};

struct ApReq {
  uint32_t apOptions = 0;  ///< the BIT STRING's first 32 bits, bit 0 = 0x80000000 (RFC 4120 5.2.8)
  std::string ticketRealm;
  std::string serverName;       ///< "host/dc1.example.com"
  EncryptedData ticket;         ///< Ticket.enc-part: EncTicketPart in the service key, usage 2
  EncryptedData authenticator;  ///< in the ticket's session key, usage 11
};

struct ApRep {
  EncryptedData encPart;  ///< EncAPRepPart in the session key, usage 12
};

struct EncTicketPart {
  KeyBlock sessionKey;
  std::string client;  ///< "alice@EXAMPLE.COM"
};

/// Checksum (RFC 4120 5.2.9); for GSS-API the 0x8003 checksum of RFC 4121 4.1.1.
struct Checksum {
  int32_t type = 0;
  Bytes value;
};

struct Authenticator {
  std::string ctime;  ///< KerberosTime as sent ("20261205231434Z")
  int64_t cusec = 0;
  std::optional<Checksum> checksum;
  std::optional<KeyBlock> subkey;
  std::optional<uint32_t> seqNumber;
};

struct EncApRepPart {
  std::string ctime;
  int64_t cusec = 0;
  std::optional<KeyBlock> subkey;
  std::optional<uint32_t> seqNumber;
};

/// The checksum type GSS-API's krb5 mechanism puts in the authenticator (RFC 4121 4.1.1).
inline constexpr int32_t kGssChecksumType = 0x8003;
/// Its flags (little-endian 32 bits at offset 20) that matter here.
inline constexpr uint32_t kGssDceStyle = 0x1000;  ///< GSS_C_DCE_STYLE (MS-KILE 3.2.5.2)

/// Frames and decodes a KRB_AP_REQ ([APPLICATION 14]) at the start of `data`.
/// @return Done (consumed = its DER size), NeedMore(total size) while cut, or Error (not an
/// AP-REQ, wrong pvno/msg-type, malformed, larger than kMaxApMessage).
ParseResult decodeApReq(ByteSpan data, ApReq& out);
/// The same for a KRB_AP_REP ([APPLICATION 15]).
ParseResult decodeApRep(ByteSpan data, ApRep& out);

/// The decrypted parts (complete plaintexts: Done or Error, trailing bytes allowed, as an
/// RFC 3961 plaintext may carry padding after the DER).
ParseResult decodeEncTicketPart(ByteSpan plain, EncTicketPart& out);
ParseResult decodeAuthenticator(ByteSpan plain, Authenticator& out);
ParseResult decodeEncApRepPart(ByteSpan plain, EncApRepPart& out);

/// GSS_C_* flags of an authenticator's 0x8003 checksum (RFC 4121 4.1.1.1), or nullopt when it
/// has no such checksum.
std::optional<uint32_t> gssChecksumFlags(const Authenticator& a);

}  // namespace bh::secure::emapi
