#include "mapi/mapi_ao/association_groups.h"

#include <doctest/doctest.h>

using namespace bh::mapi::mapi_ao;
using bh::IpAddress;
using bh::mapi::mapi_ao::HandOffReason;

namespace {

MapiAssociationGroupKey group(const char* client, const char* server, uint32_t id) {
  return {*IpAddress::parse(client), *IpAddress::parse(server), id};
}

}  // namespace

TEST_CASE("MapiAssociationGroups: a session's connections find each other, and only them") {
  MapiAssociationGroups g;
  auto outlook = group("10.91.1.10", "10.91.4.2", 0x1234);
  // The same assoc_group_id from another server, and from another client: other sessions.
  auto otherServer = group("10.91.1.10", "10.91.4.3", 0x1234);
  auto otherClient = group("10.91.1.11", "10.91.4.2", 0x1234);
  g.join(1, outlook);
  g.join(2, outlook);
  g.join(3, outlook);
  g.join(4, otherServer);
  g.join(5, otherClient);
  CHECK(g.othersOf(2) == std::vector<uint64_t>{1, 3});
  CHECK(g.othersOf(4).empty());
  CHECK(g.othersOf(5).empty());
  CHECK(g.othersOf(99).empty());  // never bound
  CHECK(g.groupCount() == 3);
  CHECK(g.connectionCount() == 5);
  REQUIRE(g.groupOf(3));
  CHECK(*g.groupOf(3) == outlook);
  CHECK_FALSE(g.groupOf(99));
}

TEST_CASE("MapiAssociationGroups: a group lives as long as its last connection") {
  MapiAssociationGroups g;
  auto outlook = group("10.91.1.10", "10.91.4.2", 7);
  CHECK_FALSE(g.known(outlook));  // a bind joining it now escaped another box's acceleration
  g.join(1, outlook);
  g.join(2, outlook);
  CHECK(g.known(outlook));
  g.leave(1);
  CHECK(g.known(outlook));
  CHECK(g.othersOf(2).empty());
  g.leave(1);  // twice: harmless
  g.leave(2);
  CHECK_FALSE(g.known(outlook));
  CHECK(g.groupCount() == 0);
  CHECK(g.connectionCount() == 0);
}

TEST_CASE("MapiAssociationGroups: a generic-AO verdict covers the group and ends with it") {
  MapiAssociationGroups g;
  auto outlook = group("10.91.1.10", "10.91.4.2", 7);
  auto other = group("10.91.1.10", "10.91.4.2", 8);
  g.markGeneric(outlook, HandOffReason::UnsupportedClient);  // unknown group: nothing to mark
  CHECK_FALSE(g.genericReason(outlook));
  g.join(1, outlook);
  g.join(2, other);
  g.markGeneric(outlook, HandOffReason::UnsupportedClient);
  REQUIRE(g.genericReason(outlook));
  CHECK(*g.genericReason(outlook) == HandOffReason::UnsupportedClient);
  CHECK_FALSE(g.genericReason(other));
  g.leave(1);
  // The server may hand the same id to a later session: it starts clean.
  CHECK_FALSE(g.genericReason(outlook));
  g.join(3, outlook);
  CHECK_FALSE(g.genericReason(outlook));
}

TEST_CASE("MapiAssociationGroups: joining again moves a connection; the old group may end") {
  MapiAssociationGroups g;
  auto a = group("10.91.1.10", "10.91.4.2", 1);
  auto b = group("10.91.1.10", "10.91.4.2", 2);
  g.join(1, a);
  g.join(1, a);  // the same group again: still one membership
  CHECK(g.connectionCount() == 1);
  g.join(2, b);
  g.join(1, b);
  CHECK_FALSE(g.known(a));
  CHECK(g.othersOf(2) == std::vector<uint64_t>{1});
  CHECK(g.connectionCount() == 2);
}

TEST_CASE("MapiAssociationGroups: 2000 sessions of 3 connections stay exact as they end") {
  MapiAssociationGroups g;
  for (uint32_t s = 0; s < 2000; ++s) {
    for (uint64_t c = 0; c < 3; ++c) {
      g.join(s * 3 + c, group("10.91.1.10", "10.91.4.2", s));
    }
  }
  CHECK(g.groupCount() == 2000);
  for (uint32_t s = 0; s < 2000; s += 2) {
    g.leave(s * 3 + 1);
  }
  CHECK(g.othersOf(0) == std::vector<uint64_t>{2});
  CHECK(g.othersOf(3) == std::vector<uint64_t>{4, 5});
  for (uint64_t id = 0; id < 6000; ++id) {
    g.leave(id);
  }
  CHECK(g.groupCount() == 0);
  CHECK(g.connectionCount() == 0);
}
