#include <doctest/doctest.h>

// accel::Endpoint as `show statistics connection` prints it: a.b.c.d:port, [v6]:port.

#include "accel/flow_record.h"

using bh::IpAddress;
using bh::accel::Endpoint;

TEST_CASE("an endpoint prints as address:port, IPv6 in brackets") {
  CHECK(Endpoint{*IpAddress::parse("10.91.1.10"), 40123}.toString() == "10.91.1.10:40123");
  CHECK(Endpoint{*IpAddress::parse("2001:db8::1"), 135}.toString() == "[2001:db8::1]:135");
  CHECK(Endpoint{IpAddress::parse("::ffff:10.0.0.1")->unmapped(), 1}.toString() == "10.0.0.1:1");
}
