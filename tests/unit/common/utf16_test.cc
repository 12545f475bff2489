// common/utf16: the UTF-16LE names of Windows protocols (MS-SAMR, MS-DRSR) to and from UTF-8.
#include "common/utf16.h"

#include <doctest/doctest.h>

using namespace bh;

TEST_CASE("UTF-16LE: round trip, surrogate pairs, and refusals") {
  Bytes u;
  REQUIRE(utf8ToUtf16le("EMAPI.LAB\xF0\x9F\x94\x91", u));  // a non-BMP character
  CHECK(u.size() == 9 * 2 + 4);
  std::string back;
  REQUIRE(utf16leToUtf8(u, back));
  CHECK(back == "EMAPI.LAB\xF0\x9F\x94\x91");
  CHECK_FALSE(utf16leToUtf8(ByteSpan(u.data(), 3), back));
  const uint8_t lone[] = {0x00, 0xD8, 0x41, 0x00};
  CHECK_FALSE(utf16leToUtf8(lone, back));
  CHECK_FALSE(utf8ToUtf16le("\xC0\x80", u));      // overlong
  CHECK_FALSE(utf8ToUtf16le("\xED\xA0\x80", u));  // a surrogate in UTF-8
}
