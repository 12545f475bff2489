#include "mapi/dcerpc/uuid.h"

#include <doctest/doctest.h>

#include "mapi/dcerpc/well_known.h"

using namespace bh;
using namespace bh::mapi::dcerpc;

TEST_CASE("Uuid parses and prints the canonical form") {
  auto u = Uuid::parse("A4F1DB00-CA47-1067-B31F-00DD010662DA");
  REQUIRE(u);
  CHECK(u->toString() == "a4f1db00-ca47-1067-b31f-00dd010662da");
  CHECK_FALSE(u->isNil());
  CHECK(Uuid().isNil());
  CHECK(Uuid().toString() == "00000000-0000-0000-0000-000000000000");
}

TEST_CASE("Uuid rejects malformed strings") {
  CHECK_FALSE(Uuid::parse(""));
  CHECK_FALSE(Uuid::parse("a4f1db00-ca47-1067-b31f-00dd010662d"));    // short
  CHECK_FALSE(Uuid::parse("a4f1db00-ca47-1067-b31f-00dd010662daa"));  // long
  CHECK_FALSE(Uuid::parse("a4f1db00xca47-1067-b31f-00dd010662da"));   // dash missing
  CHECK_FALSE(Uuid::parse("a4f1db00-ca47-1067-b31f-00dd010662dg"));   // bad digit
  CHECK_FALSE(Uuid::parse("a4f1db0--ca47-1067-b31f-00dd010662da"));   // dash as digit
}

TEST_CASE("Uuid wire form is mixed-endian per drep (C706 Appendix A)") {
  const Uuid u = syntax::emsmdb().uuid;
  Bytes le;
  ByteWriter wl(le, Endian::Little);
  u.write(wl);
  CHECK(toHex(le) == "00dbf1a447ca6710b31f00dd010662da");  // as impacket writes it
  Bytes be;
  ByteWriter wb(be, Endian::Big);
  u.write(wb);
  CHECK(toHex(be) == "a4f1db00ca471067b31f00dd010662da");
  ByteReader rl(le, Endian::Little);
  CHECK(Uuid::read(rl) == u);
  ByteReader rb(be, Endian::Big);
  CHECK(Uuid::read(rb) == u);
  ByteReader shortRead(ByteSpan(le.data(), 10), Endian::Little);
  (void)Uuid::read(shortRead);
  CHECK_FALSE(shortRead.ok());
}

TEST_CASE("SyntaxId version is one u32: major low, minor high") {
  Bytes out;
  ByteWriter w(out, Endian::Little);
  syntax::emsmdb().write(w);
  REQUIRE(out.size() == kSyntaxIdSize);
  CHECK(toHex(ByteSpan(out).subspan(16)) == "00005100");  // v0.81
  ByteReader r(out, Endian::Little);
  CHECK(SyntaxId::read(r) == syntax::emsmdb());
  CHECK(syntax::emsmdb().toString() == "a4f1db00-ca47-1067-b31f-00dd010662da v0.81");
  Bytes be;
  ByteWriter wb(be, Endian::Big);
  syntax::epm().write(wb);
  CHECK(toHex(ByteSpan(be).subspan(16)) == "00000003");  // v3.0 big-endian
}

TEST_CASE("well-known syntaxes and bind time feature negotiation") {
  CHECK(syntax::ndr().toString() == "8a885d04-1ceb-11c9-9fe8-08002b104860 v2.0");
  CHECK(syntax::ndr64().toString() == "71710533-beba-4937-8319-b5dbef9ccc36 v1.0");
  CHECK(syntax::epm().toString() == "e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0");
  CHECK(syntax::isBindTimeFeatureNegotiation(*Uuid::parse("6cb71c2c-9812-4540-0300-000000000000")));
  CHECK_FALSE(syntax::isBindTimeFeatureNegotiation(syntax::ndr().uuid));
}
