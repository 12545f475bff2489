// exchange-sim and outlook-sim talking over loopback (ports picked by the kernel): every
// workload byte-exact, the ROP buffers they exchange accepted by mapi/rop's independent codec,
// and a corrupted server caught by the client.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/dcerpc/well_known.h"
#include "mapi/rop/rop_buffer.h"
#include "sim/content.h"
#include "sim/exchange_server.h"
#include "sim/fast_transfer.h"
#include "sim/outlook_client.h"

using namespace bh;
using namespace bh::sim;

namespace {

ExchangeSimOptions smallSim() {
  ExchangeSimOptions o;
  o.epmPort = 0;
  o.emsmdbPort = 0;
  o.mailboxMessages = 7;
  o.attachmentSizes = {300000, 1234567};
  return o;
}

OutlookOptions client(const ExchangeSim& sim) {
  OutlookOptions o;
  o.server = "127.0.0.1";
  o.epmPort = sim.epmPort();
  o.mailboxMessages = 7;
  o.attachmentSizes = {300000, 1234567};
  return o;
}

}  // namespace

TEST_CASE("loopback: every workload, byte-exact, through EPM and one association group") {
  ExchangeSim sim(smallSim());
  std::string error;
  REQUIRE_MESSAGE(sim.start(&error), error);
  for (const char* version : {"2000", "2003", "2007", "2010", "2013", "2016"}) {
    OutlookOptions o = client(sim);
    o.clientVersion = version;
    size_t traced = 0;
    o.ropTrace = [&traced](ByteSpan request, ByteSpan response) {
      mapi::rop::RopRequestBuffer q;
      auto rq = mapi::rop::decodeRequestBuffer(request, q);
      CHECK_MESSAGE(rq.ok(), rq.error);
      mapi::rop::RopResponseBuffer r;
      auto rr = mapi::rop::decodeResponseBuffer(response, r, mapi::rop::responseContextFor(q));
      CHECK_MESSAGE(rr.ok(), rr.error);
      CHECK(r.serverObjectHandleTable.size() == q.serverObjectHandleTable.size());
      ++traced;
    };
    OutlookClient c(o);
    std::vector<OpReport> reports;
    REQUIRE_MESSAGE(c.open(reports, &error), error);
    CHECK(c.emsmdbPort() == sim.emsmdbPort());
    CHECK(c.assocGroup() != 0);
    OpReport a;
    CHECK_MESSAGE(c.openAttachment(1234567, a), a.detail);
    CHECK(a.bytes == 1234567);
    CHECK(a.calls >= 1234567 / 31744);
    CHECK(a.sha256 == hexDigest(contentSha256(attachmentSeed(1234567), 1234567)));
    OpReport s;
    CHECK_MESSAGE(c.sync(s), s.detail);
    OpReport b;
    CHECK_MESSAGE(c.browse(b), b.detail);
    OpReport bye;
    CHECK(c.close(bye));
    CHECK(traced > 40);
  }
  // save-attachment uses RopCreateAttachment, which mapi/rop does not type: no trace here.
  OutlookClient c(client(sim));
  std::vector<OpReport> reports;
  REQUIRE(c.open(reports, &error));
  OpReport save;
  CHECK_MESSAGE(c.saveAttachment(100000, save), save.detail);
  CHECK(sim.mailbox().uploadedBytes() == 100000);
  OpReport bye;
  CHECK(c.close(bye));
  CHECK(sim.service().sessionCount() == 0);
}

TEST_CASE("loopback: save-attachment with UI calls on the main connection (--ui-call-every)") {
  ExchangeSim sim(smallSim());
  std::string error;
  REQUIRE_MESSAGE(sim.start(&error), error);
  // 300000 bytes are 10 RopWriteStream calls of 31744 bytes or fewer: every 4th is followed by
  // a RopGetPropertiesAll on the message, on the main connection; 2 in all.
  std::vector<std::string> lines;
  std::vector<uint64_t> calls;
  for (uint32_t every : {0u, 4u}) {
    CAPTURE(every);
    OutlookOptions o = client(sim);
    o.uiCallEvery = every;
    OutlookClient c(o);
    std::vector<OpReport> reports;
    REQUIRE_MESSAGE(c.open(reports, &error), error);
    OpReport save;
    CHECK_MESSAGE(c.saveAttachment(300000, save), save.detail);
    CHECK(save.uiCalls == (every == 0 ? 0u : 2u));
    CHECK((save.uiMaxSeconds > 0) == (every != 0));
    CHECK(save.uiMaxSeconds <= save.seconds);
    lines.push_back(save.line());
    calls.push_back(save.calls);
    OpReport bye;
    CHECK(c.close(bye));
  }
  CHECK(calls[1] == calls[0] + 2);  // the UI calls count among the operation's calls
  // The line carries them after calls=, only when there were any (parsers read "seconds=" right
  // after the name and " ok=1" further on).
  CHECK(lines[0].find("ui_") == std::string::npos);
  CHECK(lines[1].find(" calls=" + std::to_string(calls[1]) + " ui_calls=2 ui_max=0.") !=
        std::string::npos);
  CHECK(lines[1].find(" ok=1") != std::string::npos);
  CHECK(lines[1].rfind("op=save-attachment seconds=", 0) == 0);
}

TEST_CASE("loopback: sync of the --folder-messages folder, found in the hierarchy table") {
  ExchangeSimOptions opt = smallSim();
  opt.folderMessages = 60;
  ExchangeSim sim(opt);
  std::string error;
  REQUIRE_MESSAGE(sim.start(&error), error);
  OutlookOptions o = client(sim);
  o.folderMessages = 60;
  OutlookClient c(o);
  std::vector<OpReport> reports;
  REQUIRE_MESSAGE(c.open(reports, &error), error);
  OpReport s;
  CHECK_MESSAGE(c.sync(s, kBulkFolderName), s.detail);
  CHECK(s.detail == "60-messages");
  auto model = Mailbox::sample(7, {300000, 1234567}, {}, 60);
  CHECK(s.bytes == buildContentsSync(*model, bulkFolderId(), kSynchronizationFlagNormal)->size());
  CHECK(s.calls > s.bytes / 31680);
  // The Inbox is still the default, unchanged by the extra folder.
  OpReport inbox;
  CHECK_MESSAGE(c.sync(inbox), inbox.detail);
  CHECK(inbox.detail == "9-messages");
  OpReport missing;
  CHECK_FALSE(c.sync(missing, "No Such Folder"));
  CHECK(missing.detail == "no folder 'No Such Folder'");
  OpReport bye;
  CHECK(c.close(bye));

  // A client that predicts another folder size notices.
  OutlookOptions wrong = client(sim);
  wrong.folderMessages = 59;
  OutlookClient w(wrong);
  REQUIRE(w.open(reports, &error));
  OpReport ws;
  CHECK_FALSE(w.sync(ws, kBulkFolderName));
  CHECK(ws.detail == "FastTransfer stream differs from the mailbox model");
  CHECK(w.close(bye));
}

TEST_CASE("loopback: sync opens the folder, configures and uploads the ICS state in one call") {
  // MS-OXCFXICS 3.3.4.3.1: after RopSynchronizationConfigure and before anything else on the
  // context, a first sync uploads each ICS state property of a contents download as a
  // zero-length value. outlook-sim chains RopOpenFolder (deferred, as MAPI_DEFERRED_ERRORS
  // lets a client), Configure on the folder it opens, and Begin / End behind Configure in one
  // EcDoRpcExt2: the operation's round trips are that call, the GetBuffers, the Release.
  ExchangeSim sim(smallSim());
  std::string error;
  REQUIRE_MESSAGE(sim.start(&error), error);
  OutlookOptions o = client(sim);
  std::vector<mapi::rop::RopRequestBuffer> requests;
  std::vector<mapi::rop::RopResponseBuffer> responses;
  o.ropTrace = [&](ByteSpan request, ByteSpan response) {
    mapi::rop::RopRequestBuffer q;
    REQUIRE(mapi::rop::decodeRequestBuffer(request, q).ok());
    mapi::rop::RopResponseBuffer r;
    REQUIRE(mapi::rop::decodeResponseBuffer(response, r, mapi::rop::responseContextFor(q)).ok());
    requests.push_back(std::move(q));
    responses.push_back(std::move(r));
  };
  OutlookClient c(o);
  std::vector<OpReport> reports;
  REQUIRE_MESSAGE(c.open(reports, &error), error);
  size_t first = requests.size();
  OpReport s;
  REQUIRE_MESSAGE(c.sync(s), s.detail);
  CHECK(s.detail == "9-messages");

  using namespace mapi::rop;
  REQUIRE(requests.size() - first == s.calls);
  // The first call: RopOpenFolder on the logon; Configure on the folder it opens; then Begin
  // (TransferBufferSize 0) and End for each property, no Continue, all on the context
  // Configure creates.
  const auto& q = requests[first];
  const auto& r = responses[first];
  REQUIRE(q.rops.size() == 10);
  const auto& open = std::get<RopOpenFolderRequest>(q.rops[0]);
  CHECK(open.inputHandleIndex == 0);
  const auto& configure = std::get<RopSynchronizationConfigureRequest>(q.rops[1]);
  CHECK(configure.inputHandleIndex == open.outputHandleIndex);
  CHECK(configure.outputHandleIndex != open.outputHandleIndex);
  CHECK(configure.synchronizationType == 0x01);
  // Normal: the folder's normal messages (MS-OXCFXICS 3.2.5.3); no FAI, no Unicode.
  CHECK(configure.synchronizationFlags == kSynchronizationFlagNormal);
  std::vector<uint32_t> uploaded;
  for (size_t i = 2; i < q.rops.size(); i += 2) {
    CAPTURE(i);
    const auto* begin = std::get_if<RopSynchronizationUploadStateStreamBeginRequest>(&q.rops[i]);
    REQUIRE(begin != nullptr);
    CHECK(begin->inputHandleIndex == configure.outputHandleIndex);
    CHECK(begin->transferBufferSize == 0);
    uploaded.push_back(begin->stateProperty);
    const auto* end = std::get_if<RopSynchronizationUploadStateStreamEndRequest>(&q.rops[i + 1]);
    REQUIRE(end != nullptr);
    CHECK(end->inputHandleIndex == configure.outputHandleIndex);
  }
  CHECK(uploaded == std::vector<uint32_t>{rops::kMetaTagIdsetGiven, rops::kMetaTagCnsetSeen,
                                          rops::kMetaTagCnsetSeenFAI, rops::kMetaTagCnsetRead});
  REQUIRE(r.rops.size() == q.rops.size());
  for (size_t i = 0; i < r.rops.size(); ++i) {
    CAPTURE(i);
    CHECK(ropIdOf(r.rops[i]) == ropIdOf(q.rops[i]));
    const auto* header = std::visit(
        [](const auto& answer) -> const RopResponseHeader* {
          if constexpr (std::is_base_of_v<RopResponseHeader, std::decay_t<decltype(answer)>>) {
            return &answer;
          } else {
            return nullptr;  // RopBufferTooSmall
          }
        },
        r.rops[i]);
    REQUIRE(header != nullptr);
    CHECK(header->returnValue == 0);
  }
  // Then only GetBuffer calls, and the release: calls = 2 + one per 31680-byte buffer.
  for (size_t i = first + 1; i + 1 < requests.size(); ++i) {
    CAPTURE(i);
    REQUIRE(requests[i].rops.size() == 1);
    CHECK(std::holds_alternative<RopFastTransferSourceGetBufferRequest>(requests[i].rops[0]));
  }
  CHECK(std::holds_alternative<RopReleaseRequest>(requests.back().rops[0]));
  CHECK(s.calls == 2 + (s.bytes + 31679) / 31680);
  OpReport bye;
  CHECK(c.close(bye));
}

TEST_CASE("loopback: a sync that fails releases what it opened") {
  // Room for the logon and one more object only: RopSynchronizationConfigure cannot add its
  // context, after RopOpenFolder opened the folder. A sync that kept the folder would fill the
  // table, and the next one could not even open it.
  ExchangeSimOptions opt = smallSim();
  opt.emsmdb.maxObjectsPerSession = 2;
  ExchangeSim sim(opt);
  std::string error;
  REQUIRE_MESSAGE(sim.start(&error), error);
  OutlookClient c(client(sim));
  std::vector<OpReport> reports;
  REQUIRE_MESSAGE(c.open(reports, &error), error);
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    OpReport s;
    CHECK_FALSE(c.sync(s));
    CHECK(s.detail == "RopSynchronizationConfigure failed");
  }
  OpReport bye;
  CHECK(c.close(bye));
}

TEST_CASE("loopback: LZ77 + XOR by default, byte-exact either way, fewer bytes on the wire") {
  ExchangeSim sim(smallSim());
  std::string error;
  REQUIRE(sim.start(&error));
  uint64_t wire[2] = {0, 0};
  for (int plain = 0; plain < 2; ++plain) {
    OutlookOptions o = client(sim);
    o.noCompression = plain == 1;
    o.noXor = plain == 1;
    OutlookClient c(o);
    std::vector<OpReport> reports;
    REQUIRE(c.open(reports, &error));
    OpReport a;
    CHECK_MESSAGE(c.openAttachment(1234567, a), a.detail);
    OpReport s;
    CHECK_MESSAGE(c.sync(s), s.detail);
    wire[plain] = c.emsmdbBytesReceived();
    OpReport bye;
    CHECK(c.close(bye));
  }
  CAPTURE(wire[0]);
  CAPTURE(wire[1]);
  CHECK(wire[0] < wire[1] * 85 / 100);
}

TEST_CASE("loopback: four Outlooks at once") {
  ExchangeSim sim(smallSim());
  std::string error;
  REQUIRE(sim.start(&error));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      OutlookClient c(client(sim));
      std::vector<OpReport> reports;
      std::string e;
      OpReport a;
      OpReport s;
      OpReport bye;
      if (c.open(reports, &e) && c.openAttachment(i % 2 == 0 ? 300000 : 1234567, a) && c.sync(s) &&
          c.close(bye)) {
        ++ok;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(ok == 4);
  CHECK(sim.service().sessionCount() == 0);
}

TEST_CASE("loopback: the client notices content that differs from the generator's") {
  ExchangeSim sim(smallSim());
  std::string error;
  REQUIRE(sim.start(&error));
  {
    std::lock_guard<std::mutex> l(sim.mailbox().mutex());
    uint64_t inbox = specialFolderId(SpecialFolder::Inbox);
    Message* m = sim.mailbox().message(sim.mailbox().folder(inbox)->messages[0]);
    Bytes changed = *m->attachments[0].data;
    changed[123456] ^= 0x01;  // one bit
    m->attachments[0].data = std::make_shared<const Bytes>(std::move(changed));
  }
  OutlookClient c(client(sim));
  std::vector<OpReport> reports;
  REQUIRE(c.open(reports, &error));
  OpReport a;
  CHECK_FALSE(c.openAttachment(300000, a));
  CHECK(a.detail == "content differs from the generator's");
  OpReport s;
  CHECK_FALSE(c.sync(s));
}

TEST_CASE("loopback: binds, association groups, fragments, NTLM and refusals") {
  ExchangeSimOptions opt = smallSim();
  opt.rpc.acceptAuth = AuthType::Ntlm;
  opt.rpc.acceptLevel = AuthLevel::PktIntegrity;
  ExchangeSim sim(opt);
  std::string error;
  REQUIRE(sim.start(&error));
  RpcClient a;
  REQUIRE(a.connect("127.0.0.1", sim.emsmdbPort(), &error));
  REQUIRE(a.bind(dcerpc::syntax::emsmdb(), 0, &error));
  RpcClient b;
  REQUIRE(b.connect("::1", sim.emsmdbPort(), &error));
  REQUIRE(b.bind(dcerpc::syntax::emsmdb(), a.assocGroup(), &error));
  CHECK(b.assocGroup() == a.assocGroup());
  RpcClient c;
  REQUIRE(c.connect("127.0.0.1", sim.emsmdbPort(), &error));
  REQUIRE(c.bind(dcerpc::syntax::emsmdb(), 0, &error));
  CHECK(c.assocGroup() != a.assocGroup());
  // A 20 KB stub goes out in several fragments and the fault comes back for a bad stub.
  CHECK_FALSE(a.call(oxcrpc::kOpEcDoConnectEx, Bytes(20000, 0x41), &error));
  CHECK(error == "fault 0x000006f7");
  // EPM refuses EMSMDB binds (not its interface).
  RpcClient e;
  REQUIRE(e.connect("127.0.0.1", sim.epmPort(), &error));
  CHECK_FALSE(e.bind(dcerpc::syntax::emsmdb(), 0, &error));
  CHECK(error == "bind refused");

  // An NTLM bind gets a bind_ack carrying an NTLM CHALLENGE (MS-NLMP 2.2.1.2); below the
  // configured level, or with another auth type, a bind_nak.
  auto authBind = [&](AuthType type, AuthLevel level) {
    auto raw = connectTcp("127.0.0.1", sim.emsmdbPort(), &error);
    REQUIRE(raw);
    dcerpc::Pdu p;
    p.header.ptype = dcerpc::PType::Bind;
    p.header.callId = 1;
    dcerpc::Bind bind;
    bind.maxXmitFrag = bind.maxRecvFrag = 5840;
    bind.contexts.push_back({0, 0, dcerpc::syntax::emsmdb(), {dcerpc::syntax::ndr()}});
    p.body = bind;
    dcerpc::AuthVerifier v;
    v.trailer.authType = type;
    v.trailer.authLevel = level;
    v.credentials = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0, 0x07, 0x82, 0x08, 0xa2};
    auto bodyOnly = dcerpc::encodePdu(p);
    v.pad.assign(dcerpc::authPadFor(bodyOnly->size()), 0);
    p.auth = v;
    REQUIRE(raw->writeAll(*dcerpc::encodePdu(p)));
    dcerpc::CoStream fromServer(dcerpc::Sender::Server);
    dcerpc::StreamPdu ack;
    REQUIRE(receivePdu(*raw, fromServer, ack));
    return ack.pdu;
  };
  dcerpc::Pdu back = authBind(AuthType::Ntlm, AuthLevel::PktPrivacy);
  CHECK(back.ptype() == dcerpc::PType::BindAck);
  REQUIRE(back.auth);
  CHECK(back.auth->trailer.authType == AuthType::Ntlm);
  CHECK(back.auth->trailer.authLevel == AuthLevel::PktPrivacy);
  REQUIRE(back.auth->credentials.size() > 12);
  CHECK(back.auth->credentials[8] == 2);  // MessageType CHALLENGE
  CHECK(authBind(AuthType::Ntlm, AuthLevel::PktIntegrity).ptype() == dcerpc::PType::BindAck);
  CHECK(authBind(AuthType::Ntlm, AuthLevel::Connect).ptype() == dcerpc::PType::BindNak);
  CHECK(authBind(AuthType::Kerberos, AuthLevel::PktPrivacy).ptype() == dcerpc::PType::BindNak);
}

TEST_CASE("loopback: NTLM at the connect level and clients outside the AO's range") {
  // exchange-sim --auth ntlm: NTLM binds at any level; outlook-sim --auth ntlm binds with a
  // NEGOTIATE, reads the CHALLENGE and sends an anonymous AUTHENTICATE in rpc_auth_3.
  ExchangeSimOptions opt = smallSim();
  opt.rpc.acceptAuth = AuthType::Ntlm;
  ExchangeSim sim(opt);
  std::string error;
  REQUIRE_MESSAGE(sim.start(&error), error);
  for (const char* version : {"97", "future", "2007"}) {
    OutlookOptions o = client(sim);
    o.clientVersion = version;
    o.ntlmConnect = std::string(version) == "2007";
    OutlookClient c(o);
    std::vector<OpReport> reports;
    REQUIRE_MESSAGE(c.open(reports, &error), error);
    OpReport a;
    CHECK_MESSAGE(c.openAttachment(300000, a), a.detail);
    OpReport bye;
    CHECK(c.close(bye));
  }
  CHECK(clientVersionTriple("97") == std::array<uint16_t, 3>{8, 4212, 0});
  CHECK(clientVersionTriple("future") == std::array<uint16_t, 3>{17, 1234, 1000});
  CHECK(ntlmNegotiate().size() == 32);
  CHECK(ntlmAnonymousAuthenticate().size() == 65);
  Bytes challenge = ntlmChallenge(1);
  // TargetInfo carries MsvAvNbDomainName and MsvAvNbComputerName (impacket needs the latter).
  CHECK(challenge.size() == 56 + 6 + 4 + 6 + 4 + 16 + 4);
}

TEST_CASE("cap: connections beyond maxConnections are closed at accept") {
  ExchangeSimOptions opt = smallSim();
  opt.maxConnections = 2;
  ExchangeSim sim(opt);
  std::string error;
  REQUIRE(sim.start(&error));
  RpcClient a, b, c;
  REQUIRE(a.connect("127.0.0.1", sim.emsmdbPort(), &error));
  REQUIRE(a.bind(dcerpc::syntax::emsmdb(), 0, &error));
  REQUIRE(b.connect("127.0.0.1", sim.emsmdbPort(), &error));
  REQUIRE(b.bind(dcerpc::syntax::emsmdb(), 0, &error));
  REQUIRE(c.connect("127.0.0.1", sim.emsmdbPort(), &error));
  CHECK_FALSE(c.bind(dcerpc::syntax::emsmdb(), 0, &error));
  CHECK(sim.refusedConnections() == 1);
  CHECK(sim.liveConnections() == 2);
}
