#include "mapi/dcerpc/association.h"

#include <doctest/doctest.h>

#include "tests/unit/mapi/dcerpc/test_util.h"

using namespace bh;
using namespace bh::mapi::dcerpc;
using namespace bh::mapi::dcerpc::testing;

TEST_CASE("bind + bind_ack negotiate contexts, group and fragment sizes") {
  Association a;
  Pdu bind = bindPdu(Endian::Little, 1);
  bind.auth = AuthVerifier{{}, {AuthType::Ntlm, AuthLevel::PktPrivacy, 0, 0, 79231}, {1}};
  REQUIRE(a.onClientPdu(bind).ok());
  CHECK_FALSE(a.established());
  CHECK(a.authType() == AuthType::Ntlm);
  CHECK(a.authLevel() == AuthLevel::PktPrivacy);
  CHECK(a.authContextId() == 79231);
  CHECK(a.context(0)->state == ContextState::Proposed);
  CHECK_FALSE(a.interfaceFor(0));

  REQUIRE(a.onServerPdu(bindAckPdu(Endian::Little, 1)).ok());
  CHECK(a.established());
  CHECK(a.assocGroupId() == 0x5678);
  CHECK(a.maxXmitFrag() == 5840);
  CHECK(a.maxRecvFrag() == 4280);
  CHECK(a.secondaryAddress() == "6001");
  REQUIRE(a.interfaceFor(0));
  CHECK(*a.interfaceFor(0) == syntax::emsmdb());
  CHECK(*a.transferSyntaxFor(0) == syntax::ndr());
  CHECK(a.context(1)->state == ContextState::Rejected);
  CHECK(a.context(1)->reason == 2);
  CHECK_FALSE(a.interfaceFor(1));
  CHECK(a.context(7) == nullptr);
}

TEST_CASE("alter_context adds a context; NDR64 and feature negotiation results") {
  Association a;
  REQUIRE(a.onClientPdu(bindPdu(Endian::Little, 1)).ok());
  REQUIRE(a.onServerPdu(bindAckPdu(Endian::Little, 1)).ok());
  Pdu alter;
  alter.header = header(PType::AlterContext, 2, Endian::Little);
  Bind b;
  b.contexts.push_back({2, 0, syntax::asyncEmsmdb(), {syntax::ndr64()}});
  b.contexts.push_back({3,
                        0,
                        syntax::asyncEmsmdb(),
                        {SyntaxId{*Uuid::parse("6cb71c2c-9812-4540-0300-000000000000"), 1, 0}}});
  alter.body = b;
  REQUIRE(a.onClientPdu(alter).ok());
  CHECK(a.maxXmitFrag() == 5840);  // alter_context does not renegotiate sizes
  Pdu resp;
  resp.header = header(PType::AlterContextResp, 2, Endian::Little);
  BindAck r;
  r.results.push_back({0, 0, syntax::ndr64()});
  r.results.push_back({3, 3, SyntaxId{}});
  resp.body = r;
  REQUIRE(a.onServerPdu(resp).ok());
  CHECK(*a.interfaceFor(2) == syntax::asyncEmsmdb());
  CHECK(*a.transferSyntaxFor(2) == syntax::ndr64());
  CHECK(a.context(3)->state == ContextState::NegotiateAck);
  CHECK(a.context(3)->reason == 3);
  CHECK(*a.interfaceFor(0) == syntax::emsmdb());  // earlier contexts stay
  CHECK(a.assocGroupId() == 0x5678);
}

TEST_CASE("bind_nak rejects the proposal") {
  Association a;
  REQUIRE(a.onClientPdu(bindPdu(Endian::Little, 1)).ok());
  Pdu nak;
  nak.header = header(PType::BindNak, 1, Endian::Little);
  nak.body = BindNak{4, {}};
  REQUIRE(a.onServerPdu(nak).ok());
  CHECK(a.rejected());
  CHECK_FALSE(a.established());
  CHECK(a.context(0)->state == ContextState::Rejected);
}

TEST_CASE("bind_ack that does not answer the outstanding bind is an error") {
  Association a;
  CHECK(a.onServerPdu(bindAckPdu(Endian::Little, 1)).status == ParseStatus::Error);
  REQUIRE(a.onClientPdu(bindPdu(Endian::Little, 1)).ok());
  CHECK(a.onServerPdu(bindAckPdu(Endian::Little, 2)).status == ParseStatus::Error);  // call_id
  Pdu ack = bindAckPdu(Endian::Little, 1);
  std::get<BindAck>(ack.body).results.pop_back();
  CHECK(a.onServerPdu(ack).status == ParseStatus::Error);  // result count
}

TEST_CASE("presentation context cap") {
  AssociationLimits limits;
  limits.maxContexts = 3;
  Association a(limits);
  Pdu bind = bindPdu(Endian::Little, 1);
  auto& ctxs = std::get<Bind>(bind.body).contexts;
  ctxs.push_back({2, 0, syntax::epm(), {syntax::ndr()}});
  REQUIRE(a.onClientPdu(bind).ok());                            // 3 contexts: at the cap
  Pdu again = bindPdu(Endian::Little, 2, PType::AlterContext);  // ids 0 and 1 again: no growth
  REQUIRE(a.onClientPdu(again).ok());
  CHECK(a.contexts().size() == 3);
  Pdu more = bindPdu(Endian::Little, 3, PType::AlterContext);
  std::get<Bind>(more.body).contexts[1].contextId = 9;
  CHECK(a.onClientPdu(more).status == ParseStatus::Error);
  CHECK(a.contexts().size() == 3);
}
