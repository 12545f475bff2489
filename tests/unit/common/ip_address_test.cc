#include "common/ip_address.h"

#include <doctest/doctest.h>

using bh::IpAddress;
using bh::IpPrefix;

TEST_CASE("IpAddress parses and prints IPv4") {
  auto a = IpAddress::parse("10.10.100.101");
  REQUIRE(a);
  CHECK(a->isV4());
  CHECK(a->toString() == "10.10.100.101");
  CHECK(*a == IpAddress::v4(0x0a0a6465));
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "01.2.3.4", "1.2.3.4.",
                          "a.b.c.d", "-1.2.3.4", " 1.2.3.4"}) {
    CAPTURE(bad);
    CHECK_FALSE(IpAddress::parse(bad));
  }
}

TEST_CASE("IpAddress prints IPv6 in RFC 5952 form") {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},     // first of equal runs
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},  // one zero group stays
      {"::", "::"},
      {"::1", "::1"},
      {"fe80::", "fe80::"},
      {"::ffff:10.1.2.3", "::ffff:a01:203"},
      {"2001:DB8::A", "2001:db8::a"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    auto a = IpAddress::parse(c.in);
    REQUIRE(a);
    CHECK_FALSE(a->isV4());
    CHECK(a->toString() == c.out);
    CHECK(IpAddress::parse(a->toString()) == a);
  }
  for (const char* bad : {":", ":::", "1::2::3", "12345::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9",
                          "::g", "1:2:3:4:5:6:7::8:9", "::1.2.3", "1.2.3.4::"}) {
    CAPTURE(bad);
    CHECK_FALSE(IpAddress::parse(bad));
  }
}

TEST_CASE("a v4-mapped address unmaps to the IPv4 address") {
  CHECK(IpAddress::parse("::ffff:10.1.2.3")->unmapped() == *IpAddress::parse("10.1.2.3"));
  CHECK(IpAddress::parse("::1")->unmapped() == *IpAddress::parse("::1"));
}

TEST_CASE("IpPrefix contains addresses of its own family only") {
  auto p = IpPrefix::parse("10.0.0.0/8");
  REQUIRE(p);
  CHECK(p->contains(*IpAddress::parse("10.255.1.1")));
  CHECK_FALSE(p->contains(*IpAddress::parse("11.0.0.1")));
  CHECK_FALSE(p->contains(*IpAddress::parse("::a00:1")));
  CHECK(p->toWildcardString() == "10.0.0.0 0.255.255.255");

  auto v6 = IpPrefix::parse("2001:db8:8000::/33");
  REQUIRE(v6);
  CHECK(v6->contains(*IpAddress::parse("2001:db8:ffff::1")));
  CHECK_FALSE(v6->contains(*IpAddress::parse("2001:db8:7fff::1")));
  CHECK(v6->toString() == "2001:db8:8000::/33");

  auto any = IpPrefix::parse("0.0.0.0/0");
  REQUIRE(any);
  CHECK(any->contains(*IpAddress::parse("192.0.2.1")));
  CHECK(any->toWildcardString() == "0.0.0.0 255.255.255.255");

  auto host = IpPrefix::parse("192.0.2.7");
  REQUIRE(host);
  CHECK(host->isHost());
  CHECK(host->contains(*IpAddress::parse("192.0.2.7")));
  CHECK_FALSE(host->contains(*IpAddress::parse("192.0.2.6")));
}

TEST_CASE("IpPrefix explains what is wrong") {
  std::string why;
  CHECK_FALSE(IpPrefix::parse("10.0.0.1/8", &why));
  CHECK(why.find("did you mean 10.0.0.0/8") != std::string::npos);
  CHECK_FALSE(IpPrefix::parse("10.0.0.0/33", &why));
  CHECK(why.find("0-32") != std::string::npos);
  CHECK_FALSE(IpPrefix::parse("2001:db8::/129", &why));
  CHECK(why.find("0-128") != std::string::npos);
  CHECK_FALSE(IpPrefix::parse("10.0.0.0/", &why));
  CHECK_FALSE(IpPrefix::parse("10.0.0.0/8x", &why));
  CHECK_FALSE(IpPrefix::parse("exchange/8", &why));
  CHECK(why.find("not an IPv4 or IPv6 address") != std::string::npos);
}
