#include "policy/port_range.h"

#include <doctest/doctest.h>

using bh::policy::PortRange;

TEST_CASE("PortRange reads the WAAS forms and shorthands") {
  CHECK(PortRange::parse("eq 135") == PortRange{135, 135});
  CHECK(PortRange::parse("range 1024 65535") == PortRange{1024, 65535});
  CHECK(PortRange::parse("1024-2048") == PortRange{1024, 2048});
  CHECK(PortRange::parse("0") == PortRange{0, 0});
  CHECK(PortRange::parse("eq 65535") == PortRange{65535, 65535});
  CHECK(PortRange::parse("eq 135")->toString() == "eq 135");
  CHECK(PortRange::parse("1000-2000")->toString() == "range 1000 2000");
}

TEST_CASE("PortRange rejects with a reason") {
  std::string why;
  CHECK_FALSE(PortRange::parse("eq 65536", &why));
  CHECK(why == "port 65536 is out of range 0-65535");
  CHECK_FALSE(PortRange::parse("range 2000 1000", &why));
  CHECK(why.find("low > high") != std::string::npos);
  CHECK_FALSE(PortRange::parse("eq", &why));
  CHECK_FALSE(PortRange::parse("gt 5", &why));
  CHECK_FALSE(PortRange::parse("eq -1", &why));
  CHECK_FALSE(PortRange::parse("eq 99999999999999999999999", &why));
  CHECK(why.find("out of range") != std::string::npos);
  CHECK_FALSE(PortRange::parse("-5", &why));
  CHECK_FALSE(PortRange::parse("", &why));
}

TEST_CASE("PortRange bounds are inclusive") {
  PortRange r{1000, 2000};
  CHECK(r.contains(1000));
  CHECK(r.contains(2000));
  CHECK_FALSE(r.contains(999));
  CHECK_FALSE(r.contains(2001));
}
