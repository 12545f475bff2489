#include "mapi/emsmdb/client_version.h"

namespace bh::mapi::emsmdb {

std::string ClientVersion::toString() const {
  return std::to_string(productMajor) + "." + std::to_string(productMinor) + "." +
         std::to_string(buildMajor) + "." + std::to_string(buildMinor);
}

ClientVersion decodeClientVersion(const std::array<uint16_t, 3>& rgw) {
  ClientVersion v;
  if ((rgw[1] & 0x8000) != 0) {
    v.productMajor = static_cast<uint16_t>(rgw[0] >> 8);
    v.productMinor = static_cast<uint16_t>(rgw[0] & 0xff);
    v.buildMajor = static_cast<uint16_t>(rgw[1] & 0x7fff);
    v.buildMinor = rgw[2];
  } else {
    v.productMajor = rgw[0];
    v.productMinor = 0;
    v.buildMajor = rgw[1];
    v.buildMinor = rgw[2];
  }
  return v;
}

std::array<uint16_t, 3> encodeClientVersion(const ClientVersion& v, bool packedForm) {
  if (packedForm) {
    return {static_cast<uint16_t>(((v.productMajor & 0xff) << 8) | (v.productMinor & 0xff)),
            static_cast<uint16_t>(0x8000 | (v.buildMajor & 0x7fff)), v.buildMinor};
  }
  return {v.productMajor, v.buildMajor, v.buildMinor};
}

OutlookVersion outlookVersion(const ClientVersion& v) {
  switch (v.productMajor) {
    case 9:
      return OutlookVersion::Outlook2000;
    case 10:
      return OutlookVersion::Outlook2002;
    case 11:
      return OutlookVersion::Outlook2003;
    case 12:
      return OutlookVersion::Outlook2007;
    case 14:
      return OutlookVersion::Outlook2010;
    case 15:
      return OutlookVersion::Outlook2013;
    case 16:
      return OutlookVersion::Outlook2016;
    default:
      break;
  }
  if (v.productMajor < 9) {
    return OutlookVersion::Unknown;
  }
  // 13 was never shipped; anything from 17 up is newer than we know.
  return v.productMajor == 13 ? OutlookVersion::Outlook2010 : OutlookVersion::Newer;
}

const char* outlookVersionName(OutlookVersion v) {
  switch (v) {
    case OutlookVersion::Unknown:
      return "unknown";
    case OutlookVersion::Outlook2000:
      return "Outlook 2000";
    case OutlookVersion::Outlook2002:
      return "Outlook 2002";
    case OutlookVersion::Outlook2003:
      return "Outlook 2003";
    case OutlookVersion::Outlook2007:
      return "Outlook 2007";
    case OutlookVersion::Outlook2010:
      return "Outlook 2010";
    case OutlookVersion::Outlook2013:
      return "Outlook 2013";
    case OutlookVersion::Outlook2016:
      return "Outlook 2016";
    case OutlookVersion::Newer:
      return "newer than Outlook 2016";
  }
  return "unknown";
}

SessionClass sessionClass(const ClientVersion& v) {
  if (v.productMajor < 9) {
    return SessionClass::LowerThan2000;
  }
  if (v.productMajor <= 10) {
    return SessionClass::Outlook2000;
  }
  if (v.productMajor == 11) {
    return SessionClass::Outlook2003;
  }
  if (v.productMajor == 12) {
    return SessionClass::Outlook2007;
  }
  return SessionClass::HigherThan2007;
}

const char* sessionClassName(SessionClass c) {
  switch (c) {
    case SessionClass::LowerThan2000:
      return "Lower than 2000";
    case SessionClass::Outlook2000:
      return "2000";
    case SessionClass::Outlook2003:
      return "2003";
    case SessionClass::Outlook2007:
      return "2007";
    case SessionClass::HigherThan2007:
      return "Higher than 2007";
  }
  return "unknown";
}

}  // namespace bh::mapi::emsmdb
