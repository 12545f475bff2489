#include "secure/encryption_service/identity.h"

#include <doctest/doctest.h>

using namespace bh::secure::encryption_service;

namespace {

Identity identity(std::string name, std::string domain, bool active = true) {
  Identity id;
  id.name = std::move(name);
  id.domain = std::move(domain);
  id.principal = "svc";
  id.active = active;
  return id;
}

}  // namespace

TEST_CASE("identity: the domain of an Exchange server is its FQDN without the host label") {
  CHECK(domainOfHost("exch1.example.com") == "example.com");
  CHECK(domainOfHost("EXCH1.Sub.Example.COM.") == "sub.example.com");
  CHECK(domainOfHost("exch1") == "");
  CHECK(domainOfHost("exch1.") == "");
  CHECK(domainOfHost("") == "");
}

TEST_CASE("identity: an identity covers its own domain only, whatever the case") {
  std::vector<Identity> ids = {identity("parent", "example.com"),
                               identity("sub", "Sub.Example.com")};
  auto m = matchIdentity(ids, "sub.example.com.");
  REQUIRE(m.identity != nullptr);
  CHECK(m.identity->name == "sub");
  m = matchIdentity(ids, "EXAMPLE.COM");
  REQUIRE(m.identity != nullptr);
  CHECK(m.identity->name == "parent");
}

TEST_CASE("identity: a parent domain's identity does not cover a sub-domain, and is named") {
  std::vector<Identity> ids = {identity("top", "com"), identity("parent", "example.com"),
                               identity("other", "otherexample.com")};
  auto m = matchIdentity(ids, "deep.sub.example.com");
  CHECK(m.identity == nullptr);
  CHECK(m.parentIdentity == "parent");  // the nearest parent, not "top"
  CHECK(m.parentDomain == "example.com");
  // "otherexample.com" ends with "example.com" but is not its sub-domain.
  m = matchIdentity({identity("parent", "example.com")}, "otherexample.com");
  CHECK(m.identity == nullptr);
  CHECK(m.parentIdentity.empty());
}

TEST_CASE("identity: inactive identities are never used") {
  std::vector<Identity> ids = {identity("off", "example.com", false)};
  CHECK(matchIdentity(ids, "example.com").identity == nullptr);
  ids.push_back(identity("on", "example.com"));
  REQUIRE(matchIdentity(ids, "example.com").identity != nullptr);
  CHECK(matchIdentity(ids, "example.com").identity->name == "on");
  CHECK(matchIdentity(ids, "").identity == nullptr);
}

TEST_CASE("identity: realm and principal default from the domain; the fingerprint follows edits") {
  Identity id = identity("svc", "example.com");
  CHECK(id.effectiveRealm() == "EXAMPLE.COM");
  CHECK(id.clientPrincipal() == "svc@EXAMPLE.COM");
  id.principal = "svc@OTHER.REALM";
  CHECK(id.clientPrincipal() == "svc@OTHER.REALM");
  Identity a = identity("svc", "example.com");
  Identity b = a;
  CHECK(a.fingerprint() == b.fingerprint());
  b.passwordFile = "/etc/bridgehead/new.password";
  CHECK(a.fingerprint() != b.fingerprint());
  b = a;
  b.kind = IdentityKind::Machine;
  CHECK(a.fingerprint() != b.fingerprint());
}
