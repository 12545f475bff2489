#pragma once

// rgwClientVersion (EcDoConnectEx, MS-OXCRPC 3.1.4.1.3): three WORDs that carry a four-part
// version. When the high bit of the second WORD is set the first WORD packs product major (high
// byte) and minor (low byte) and the build major loses its top bit; otherwise the first WORD is
// the product major, the minor is 0, and the other two WORDs are the build numbers.

#include <array>
#include <cstdint>
#include <string>

namespace bh::mapi::emsmdb {

struct ClientVersion {
  uint16_t productMajor = 0;
  uint16_t productMinor = 0;
  uint16_t buildMajor = 0;
  uint16_t buildMinor = 0;
  bool operator==(const ClientVersion&) const = default;
  std::string toString() const;  ///< "11.0.6568.0"
};

ClientVersion decodeClientVersion(const std::array<uint16_t, 3>& rgw);
/// The inverse, in the packed form (high bit of WORD 1 set) or the classic one; a classic-form
/// version has minor 0 and a build major below 0x8000, which is all that form can carry.
std::array<uint16_t, 3> encodeClientVersion(const ClientVersion& v, bool packedForm);

/// Outlook generation by product major version (9 = 2000, 10 = 2002/XP, 11 = 2003, 12 = 2007,
/// 14 = 2010, 15 = 2013/2016, 16 = 2016 and later).
enum class OutlookVersion {
  Unknown,  ///< major below 9
  Outlook2000,
  Outlook2002,
  Outlook2003,
  Outlook2007,
  Outlook2010,
  Outlook2013,
  Outlook2016,
  Newer,  ///< major above 16
};

OutlookVersion outlookVersion(const ClientVersion& v);
const char* outlookVersionName(OutlookVersion v);

/// The session buckets of the MAPI AO statistics ("Current 2000/2003/2007 Accelerated Sessions",
/// "Lower than 2000 Sessions", "Higher than 2007 Sessions"). 2002/XP counts with 2000, as the
/// classic WAAS counters have no XP bucket.
enum class SessionClass { LowerThan2000, Outlook2000, Outlook2003, Outlook2007, HigherThan2007 };

SessionClass sessionClass(const ClientVersion& v);
const char* sessionClassName(SessionClass c);

}  // namespace bh::mapi::emsmdb
