// rgwClientVersion decoding (MS-OXCRPC 3.1.4.1.3) and the seed's session buckets.
#include "mapi/emsmdb/client_version.h"

#include <doctest/doctest.h>

using namespace bh::mapi::emsmdb;

TEST_CASE("ClientVersion decodes both WORD layouts") {
  // Classic form: major, build major, build minor (Outlook 2003 SP2 11.0.6568).
  ClientVersion v = decodeClientVersion({0x000b, 0x19a8, 0x0000});
  CHECK(v == ClientVersion{11, 0, 6568, 0});
  // Packed form: high bit of WORD 1 set; WORD 0 = major << 8 | minor.
  v = decodeClientVersion({0x0f00, 0x8000 | 4420, 1000});
  CHECK(v == ClientVersion{15, 0, 4420, 1000});
  CHECK(v.toString() == "15.0.4420.1000");
  v = decodeClientVersion({0x0c05, 0x8000 | 0x1234, 7});
  CHECK(v == ClientVersion{12, 5, 0x1234, 7});
  for (bool packed : {false, true}) {
    ClientVersion in{14, 0, 4760, 1000};
    CHECK(decodeClientVersion(encodeClientVersion(in, packed)) == in);
  }
}

TEST_CASE("ClientVersion maps majors to Outlook versions and seed counters") {
  auto major = [](uint16_t m) { return ClientVersion{m, 0, 0, 0}; };
  CHECK(outlookVersion(major(8)) == OutlookVersion::Unknown);
  CHECK(outlookVersion(major(9)) == OutlookVersion::Outlook2000);
  CHECK(outlookVersion(major(10)) == OutlookVersion::Outlook2002);
  CHECK(outlookVersion(major(11)) == OutlookVersion::Outlook2003);
  CHECK(outlookVersion(major(12)) == OutlookVersion::Outlook2007);
  CHECK(outlookVersion(major(14)) == OutlookVersion::Outlook2010);
  CHECK(outlookVersion(major(15)) == OutlookVersion::Outlook2013);
  CHECK(outlookVersion(major(16)) == OutlookVersion::Outlook2016);
  CHECK(outlookVersion(major(17)) == OutlookVersion::Newer);
  CHECK(sessionClass(major(8)) == SessionClass::LowerThan2000);
  CHECK(sessionClass(major(9)) == SessionClass::Outlook2000);
  CHECK(sessionClass(major(10)) == SessionClass::Outlook2000);
  CHECK(sessionClass(major(11)) == SessionClass::Outlook2003);
  CHECK(sessionClass(major(12)) == SessionClass::Outlook2007);
  CHECK(sessionClass(major(14)) == SessionClass::HigherThan2007);
  CHECK(sessionClass(major(16)) == SessionClass::HigherThan2007);
  CHECK(std::string(sessionClassName(SessionClass::HigherThan2007)) == "Higher than 2007");
  CHECK(std::string(outlookVersionName(OutlookVersion::Outlook2003)) == "Outlook 2003");
}
