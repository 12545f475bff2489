// EmsmdbService without sockets: sessions, ROP execution, caps; and the simulators' EMSMDB
// stubs cross-checked against mapi/emsmdb's independent codec.
#include "sim/emsmdb_service.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "mapi/emsmdb/ec_do_connect_ex.h"
#include "mapi/emsmdb/ec_do_rpc_ext2.h"
#include "mapi/emsmdb/rpc_header_ext.h"
#include "sim/content.h"
#include "sim/oxcrpc.h"
#include "sim/rops.h"

using namespace bh;
using namespace bh::sim;

namespace {

struct Harness {
  std::unique_ptr<Mailbox> mailbox;
  EmsmdbService service;
  oxcrpc::Cxh cxh{};

  explicit Harness(EmsmdbLimits limits = {}, size_t attachment = 100000,
                   MailboxLimits mailboxLimits = {})
      : mailbox(Mailbox::sample(3, {attachment}, mailboxLimits)), service(*mailbox, limits) {}

  uint32_t connect() {
    oxcrpc::ConnectExRequest q;
    q.userDn = "/o=x/cn=u";
    q.clientVersion = {16, 4266, 1001};
    uint32_t fault = 0;
    auto out = service.call(oxcrpc::kOpEcDoConnectEx, oxcrpc::encode(q), fault);
    REQUIRE(out);
    oxcrpc::ConnectExResponse r;
    REQUIRE(oxcrpc::decode(*out, r));
    cxh = r.cxh;
    return r.returnValue;
  }

  /// One EcDoRpcExt2 with a ROP list and handle table; returns the response payload.
  oxcrpc::RpcExt2Response rpc(const Bytes& ropList, std::vector<uint32_t> handles,
                              Bytes* payload = nullptr) {
    Bytes p;
    ByteWriter w(p);
    w.u16(static_cast<uint16_t>(ropList.size() + 2));
    w.bytes(ropList);
    for (uint32_t h : handles) {
      w.u32(h);
    }
    oxcrpc::RpcExt2Request q;
    q.cxh = cxh;
    q.in = oxcrpc::wrapExtended(p, false);
    uint32_t fault = 0;
    auto out = service.call(oxcrpc::kOpEcDoRpcExt2, oxcrpc::encode(q), fault);
    REQUIRE(out);
    oxcrpc::RpcExt2Response r;
    REQUIRE(oxcrpc::decode(*out, r));
    if (payload != nullptr && r.returnValue == 0) {
      auto plain = oxcrpc::unwrapExtended(r.out);
      REQUIRE(plain);
      *payload = *plain;
    }
    return r;
  }
};

Bytes logonRop() {
  return Bytes{0xfe, 0, 0, 0x01, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0};  // Essdn "" (size 1, NUL)
}

Bytes openFolderRop(uint8_t in, uint8_t out, uint64_t fid) {
  Bytes b;
  ByteWriter w(b);
  w.u8(rops::kOpenFolder);
  w.u8(0);
  w.u8(in);
  w.u8(out);
  w.u64(fid);
  w.u8(0);
  return b;
}

uint32_t handleTableEntry(const Bytes& payload, size_t index) {
  uint16_t ropSize = static_cast<uint16_t>(payload[0] | payload[1] << 8);
  ByteReader r(ByteSpan(payload).subspan(ropSize + 4 * index));
  return r.u32();
}

}  // namespace

TEST_CASE("EMSMDB stubs agree with mapi/emsmdb's codec") {
  oxcrpc::ConnectExRequest q;
  q.userDn = "/o=Bridgehead/cn=Recipients/cn=simuser";
  q.clientVersion = {12, 6423, 1000};
  q.auxIn = {1, 2, 3};
  mapi::emsmdb::EcDoConnectExRequest theirs;
  REQUIRE(mapi::emsmdb::decodeEcDoConnectExRequest(oxcrpc::encode(q), theirs).ok());
  CHECK(theirs.szUserDN.text == q.userDn);
  CHECK(theirs.rgwClientVersion == q.clientVersion);
  CHECK(theirs.rgbAuxIn == q.auxIn);
  CHECK(mapi::emsmdb::encodeEcDoConnectExRequest(theirs) == oxcrpc::encode(q));

  oxcrpc::ConnectExResponse r;
  r.cxh[5] = 7;
  r.dnPrefix = "/o=Bridgehead";
  r.displayName = "Simulated User";
  r.serverVersion = {15, 1, 2};
  r.auxOutMax = 0x1008;
  mapi::emsmdb::EcDoConnectExResponse tr;
  REQUIRE(mapi::emsmdb::decodeEcDoConnectExResponse(oxcrpc::encode(r), tr).ok());
  CHECK(tr.szDisplayName.text == r.displayName);
  CHECK(tr.rgwServerVersion == r.serverVersion);
  CHECK(mapi::emsmdb::encodeEcDoConnectExResponse(tr) == oxcrpc::encode(r));

  oxcrpc::RpcExt2Request x;
  x.in = oxcrpc::wrapExtended(Bytes{4, 0, 0xaa, 0xbb}, true);
  mapi::emsmdb::EcDoRpcExt2Request tx;
  REQUIRE(mapi::emsmdb::decodeEcDoRpcExt2Request(oxcrpc::encode(x), tx).ok());
  std::vector<mapi::emsmdb::ExtendedPiece> pieces;
  REQUIRE(mapi::emsmdb::decodeExtendedBuffer(tx.rgbIn, pieces).ok());
  REQUIRE(pieces.size() == 1);
  CHECK(pieces[0].plain == Bytes{4, 0, 0xaa, 0xbb});
  CHECK(pieces[0].header.xorMagic());

  oxcrpc::RpcExt2Response y;
  y.outMax = 0x40000;
  y.out = oxcrpc::wrapExtended(Bytes(100, 9), false);
  y.auxOutMax = 0x1008;
  mapi::emsmdb::EcDoRpcExt2Response ty;
  REQUIRE(mapi::emsmdb::decodeEcDoRpcExt2Response(oxcrpc::encode(y), ty).ok());
  CHECK(ty.rgbOut == y.out);
  CHECK(mapi::emsmdb::encodeEcDoRpcExt2Response(ty) == oxcrpc::encode(y));
}

TEST_CASE("RPC_HEADER_EXT: XOR round trip, malformed refused") {
  Bytes p = makeContent(1, 5000);
  CHECK(*oxcrpc::unwrapExtended(oxcrpc::wrapExtended(p, true)) == p);
  Bytes w = oxcrpc::wrapExtended(p, false);
  CHECK(*oxcrpc::unwrapExtended(w) == p);
  Bytes compressed = w;
  compressed[2] |= 0x01;  // Compressed: the simulators never accept it
  CHECK_FALSE(oxcrpc::unwrapExtended(compressed));
  Bytes truncated(w.begin(), w.end() - 1);
  CHECK_FALSE(oxcrpc::unwrapExtended(truncated));
  Bytes trailing = w;
  trailing.push_back(0);
  CHECK_FALSE(oxcrpc::unwrapExtended(trailing));
}

TEST_CASE("RPC_HEADER_EXT: LZ77 + XOR, read back by mapi/emsmdb too; corrupt stream refused") {
  Bytes text = makeContent(3, 30000);
  for (bool x : {false, true}) {
    Bytes w = oxcrpc::wrapExtended(text, x, true);
    ByteReader r(w);
    (void)r.u16();
    uint16_t flags = r.u16();
    uint16_t size = r.u16();
    uint16_t actual = r.u16();
    CHECK((flags & oxcrpc::kExtCompressed) != 0);
    CHECK(((flags & oxcrpc::kExtXorMagic) != 0) == x);
    CHECK(actual == text.size());
    CHECK(size < actual * 9 / 10);  // the content is partly compressible
    CHECK(*oxcrpc::unwrapExtended(w) == text);
    std::vector<mapi::emsmdb::ExtendedPiece> pieces;
    REQUIRE(mapi::emsmdb::decodeExtendedBuffer(w, pieces).ok());
    CHECK(pieces.at(0).plain == text);
    Bytes bad = w;
    bad[8] ^= 0xff;  // the first bitmask: items change meaning, the sizes no longer add up
    bad[9] ^= 0xff;
    auto back = oxcrpc::unwrapExtended(bad);
    CHECK((!back || *back != text));
  }
  // Incompressible data stays plain (Size < SizeActual could not hold).
  Bytes random = makeContent(5, 64);
  for (auto& b : random) {
    b = static_cast<uint8_t>(b * 37 + 11);
  }
  Bytes w = oxcrpc::wrapExtended(ByteSpan(random).first(16), false, true);
  CHECK((w[2] & oxcrpc::kExtCompressed) == 0);
}

TEST_CASE("logon, open, read the whole attachment stream; ReadStream capped at 31744") {
  Harness h;
  REQUIRE(h.connect() == 0);
  Bytes payload;
  REQUIRE(h.rpc(logonRop(), {0xffffffff}, &payload).returnValue == 0);
  uint32_t logon = handleTableEntry(payload, 0);
  uint64_t inbox = specialFolderId(SpecialFolder::Inbox);
  uint64_t mid = h.mailbox->folder(inbox)->messages[0];
  Bytes l;
  ByteWriter w(l);
  w.bytes(Bytes{rops::kOpenMessage, 0, 0, 1, 0xff, 0x0f});
  w.u64(inbox);
  w.u8(0);
  w.u64(mid);
  w.bytes(Bytes{rops::kOpenAttachment, 0, 1, 2, 0, 0, 0, 0, 0});
  w.bytes(Bytes{rops::kOpenStream, 0, 2, 3});
  w.u32(rops::kPidTagAttachDataBinary);
  w.u8(0);
  REQUIRE(h.rpc(l, {logon, 0xffffffff, 0xffffffff, 0xffffffff}, &payload).returnValue == 0);
  uint32_t stream = handleTableEntry(payload, 3);
  Bytes got;
  for (;;) {
    Bytes q;
    ByteWriter qw(q);
    qw.bytes(Bytes{rops::kReadStream, 0, 0});
    qw.u16(rops::kUseMaximum);
    qw.u32(100000);  // asks for more than the cap
    Bytes rp;
    REQUIRE(h.rpc(q, {stream}, &rp).returnValue == 0);
    ByteReader r(ByteSpan(rp).subspan(2));
    CHECK(r.u8() == rops::kReadStream);
    r.skip(1);
    CHECK(r.u32() == 0);
    uint16_t n = r.u16();
    CHECK(n <= 31744);
    if (n == 0) {
      break;
    }
    ByteSpan d = r.take(n);
    got.insert(got.end(), d.begin(), d.end());
  }
  CHECK(got == makeContent(attachmentSeed(100000), 100000));
}

TEST_CASE("caps: objects per session, sessions, GetBuffer size; malformed buffers") {
  EmsmdbLimits limits;
  limits.maxObjectsPerSession = 5;
  limits.maxSessions = 2;
  Harness h(limits);
  REQUIRE(h.connect() == 0);
  Bytes payload;
  REQUIRE(h.rpc(logonRop(), {0xffffffff}, &payload).returnValue == 0);
  uint32_t logon = handleTableEntry(payload, 0);
  uint64_t inbox = specialFolderId(SpecialFolder::Inbox);
  std::vector<uint32_t> rvs;
  for (int i = 0; i < 6; ++i) {
    REQUIRE(h.rpc(openFolderRop(0, 1, inbox), {logon, 0xffffffff}, &payload).returnValue == 0);
    ByteReader r(ByteSpan(payload).subspan(2));
    r.skip(2);
    rvs.push_back(r.u32());
  }
  // logon + 4 folders fill the 5 objects; the 5th and 6th opens are refused.
  CHECK(rvs == std::vector<uint32_t>{0, 0, 0, 0, rops::kInsufficientResources,
                                     rops::kInsufficientResources});

  // Sessions: the table holds two.
  oxcrpc::Cxh first = h.cxh;
  CHECK(h.connect() == 0);
  CHECK(h.connect() == 0x480);
  CHECK(h.service.sessionCount() == 2);
  h.cxh = first;

  // Malformed ROP buffer: RopSize beyond the buffer -> ecRpcFormat, not a crash.
  oxcrpc::RpcExt2Request q;
  q.cxh = first;
  q.in = oxcrpc::wrapExtended(Bytes{0x40, 0x00, 0xfe}, false);
  uint32_t fault = 0;
  auto out = h.service.call(oxcrpc::kOpEcDoRpcExt2, oxcrpc::encode(q), fault);
  REQUIRE(out);
  oxcrpc::RpcExt2Response r;
  REQUIRE(oxcrpc::decode(*out, r));
  CHECK(r.returnValue == rops::kRpcFormat);
  // An unknown ROP id also fails the buffer.
  CHECK(h.rpc(Bytes{0x99, 0, 0}, {logon}).returnValue == rops::kRpcFormat);
  // Unknown session handle -> fault; garbage stub -> NDR fault; unknown opnum -> range error.
  q.cxh[19] ^= 1;
  CHECK_FALSE(h.service.call(oxcrpc::kOpEcDoRpcExt2, oxcrpc::encode(q), fault));
  CHECK(fault == kFaultContextMismatch);
  CHECK_FALSE(h.service.call(oxcrpc::kOpEcDoRpcExt2, Bytes{1, 2, 3}, fault));
  CHECK(fault == kFaultNdr);
  CHECK_FALSE(h.service.call(4, Bytes{}, fault));
  CHECK(fault == kFaultOpRangeError);
}

TEST_CASE("FastTransferSourceGetBuffer answers at most 31680 bytes and ends with Done") {
  Harness h({}, 200000);
  REQUIRE(h.connect() == 0);
  Bytes payload;
  REQUIRE(h.rpc(logonRop(), {0xffffffff}, &payload).returnValue == 0);
  uint32_t logon = handleTableEntry(payload, 0);
  uint64_t inbox = specialFolderId(SpecialFolder::Inbox);
  Bytes l = openFolderRop(0, 1, inbox);
  l.insert(l.end(), {rops::kSynchronizationConfigure, 0, 1, 2, 0x01, 0, kSynchronizationFlagNormal,
                     0, 0, 0, 0, 0, 0, 0, 0, 0});
  REQUIRE(h.rpc(l, {logon, 0xffffffff, 0xffffffff}, &payload).returnValue == 0);
  uint32_t fx = handleTableEntry(payload, 2);
  std::shared_ptr<FxStream> model;
  {
    std::lock_guard<std::mutex> lock(h.mailbox->mutex());
    model = buildContentsSync(*h.mailbox, inbox, kSynchronizationFlagNormal);
  }
  Bytes all;
  uint16_t status = 0;
  int calls = 0;
  while (status != rops::kTransferDone && calls++ < 100) {
    Bytes rp;
    REQUIRE(
        h.rpc(Bytes{rops::kFastTransferSourceGetBuffer, 0, 0, 0xbe, 0xba, 0xff, 0xff}, {fx}, &rp)
            .returnValue == 0);
    ByteReader r(ByteSpan(rp).subspan(2));
    r.skip(6);
    status = r.u16();
    r.skip(5);
    uint16_t n = r.u16();
    CHECK(n <= 31680);
    ByteSpan d = r.take(n);
    REQUIRE(r.ok());
    all.insert(all.end(), d.begin(), d.end());
  }
  CHECK(status == rops::kTransferDone);
  Bytes expect(model->size());
  model->read(0, expect);
  CHECK(all == expect);
}

namespace {

/// RopSynchronizationConfigure of a contents download from the folder at handle index 0 into
/// index 1 (MS-OXCROPS 2.2.13.1.1): no restriction, no extra flags, no property tags.
Bytes configureRop(uint16_t synchronizationFlags) {
  Bytes b;
  ByteWriter w(b);
  w.u8(rops::kSynchronizationConfigure);
  w.u8(0);     // LogonId
  w.u8(0);     // InputHandleIndex
  w.u8(1);     // OutputHandleIndex
  w.u8(0x01);  // SynchronizationType: Contents
  w.u8(0);     // SendOptions
  w.u16(synchronizationFlags);
  w.u16(0);  // RestrictionDataSize
  w.u32(0);  // SynchronizationExtraFlags
  w.u16(0);  // PropertyTagCount
  return b;
}

Bytes beginRop(uint8_t in, uint32_t tag, uint32_t size = 0) {
  Bytes b;
  ByteWriter w(b);
  w.u8(rops::kSynchronizationUploadStateStreamBegin);
  w.u8(0);
  w.u8(in);
  w.u32(tag);
  w.u32(size);  // TransferBufferSize
  return b;
}

Bytes continueRop(uint8_t in, const Bytes& data) {
  Bytes b;
  ByteWriter w(b);
  w.u8(rops::kSynchronizationUploadStateStreamContinue);
  w.u8(0);
  w.u8(in);
  w.u32(static_cast<uint32_t>(data.size()));  // StreamDataSize
  w.bytes(data);
  return b;
}

Bytes endRop(uint8_t in) {
  return Bytes{rops::kSynchronizationUploadStateStreamEnd, 0, in};
}

Bytes getBufferRop(uint8_t in) {
  return Bytes{rops::kFastTransferSourceGetBuffer, 0, in, 0xbe, 0xba, 0xc0, 0x7b};
}

Bytes join(std::initializer_list<Bytes> parts) {
  Bytes all;
  for (const auto& p : parts) {
    all.insert(all.end(), p.begin(), p.end());
  }
  return all;
}

struct Answer {
  uint8_t ropId = 0;
  uint8_t handleIndex = 0;
  uint32_t returnValue = 0;
  bool operator==(const Answer&) const = default;
};

/// The answers of a response payload made of header-only answers (after `skip` bytes of
/// other answers); fails the test if anything is left over.
std::vector<Answer> headerAnswers(const Bytes& payload, size_t skip = 0) {
  uint16_t ropSize = static_cast<uint16_t>(payload[0] | payload[1] << 8);
  ByteReader r(ByteSpan(payload).subspan(2 + skip, ropSize - 2 - skip));
  std::vector<Answer> out;
  while (r.remaining() > 0) {
    Answer a;
    a.ropId = r.u8();
    a.handleIndex = r.u8();
    a.returnValue = r.u32();
    REQUIRE(r.ok());
    out.push_back(a);
  }
  return out;
}

/// A session with the Inbox open (handle) and a contents synchronization context on it (fx).
struct SyncSession {
  Harness h;
  uint32_t folder = 0;
  uint32_t fx = 0;
  uint64_t inbox = specialFolderId(SpecialFolder::Inbox);

  explicit SyncSession(EmsmdbLimits limits = {}) : h(limits, 40000) {
    REQUIRE(h.connect() == 0);
    Bytes payload;
    REQUIRE(h.rpc(logonRop(), {0xffffffff}, &payload).returnValue == 0);
    uint32_t logon = handleTableEntry(payload, 0);
    REQUIRE(h.rpc(openFolderRop(0, 1, inbox), {logon, 0xffffffff}, &payload).returnValue == 0);
    folder = handleTableEntry(payload, 1);
    fx = configure();
  }

  /// A new synchronization context on the folder.
  uint32_t configure() {
    Bytes payload;
    REQUIRE(h.rpc(configureRop(kSynchronizationFlagNormal), {folder, 0xffffffff}, &payload)
                .returnValue == 0);
    REQUIRE(headerAnswers(payload) ==
            std::vector<Answer>{{rops::kSynchronizationConfigure, 1, rops::kSuccess}});
    return handleTableEntry(payload, 1);
  }

  /// One call of `rops` on the context (handle index 0); the header-only answers.
  std::vector<Answer> onContext(const Bytes& ropList, uint32_t handle = 0) {
    Bytes payload;
    REQUIRE(h.rpc(ropList, {handle == 0 ? fx : handle}, &payload).returnValue == 0);
    return headerAnswers(payload);
  }

  /// Reads the whole stream of the context; false if a GetBuffer fails.
  bool download(Bytes& all) {
    uint16_t status = 0;
    for (int calls = 0; status != rops::kTransferDone && calls < 100; ++calls) {
      Bytes rp;
      REQUIRE(h.rpc(getBufferRop(0), {fx}, &rp).returnValue == 0);
      ByteReader r(ByteSpan(rp).subspan(2));
      r.skip(2);
      if (r.u32() != rops::kSuccess) {
        return false;
      }
      status = r.u16();
      r.skip(5);
      ByteSpan d = r.take(r.u16());
      REQUIRE(r.ok());
      all.insert(all.end(), d.begin(), d.end());
    }
    return status == rops::kTransferDone;
  }

  Bytes expectedStream() {
    std::lock_guard<std::mutex> lock(h.mailbox->mutex());
    auto model = buildContentsSync(*h.mailbox, inbox, kSynchronizationFlagNormal);
    Bytes expect(model->size());
    model->read(0, expect);
    return expect;
  }
};

constexpr Answer ok(uint8_t ropId, uint8_t index = 0) {
  return {ropId, index, rops::kSuccess};
}
constexpr uint8_t kBegin = rops::kSynchronizationUploadStateStreamBegin;
constexpr uint8_t kContinue = rops::kSynchronizationUploadStateStreamContinue;
constexpr uint8_t kEnd = rops::kSynchronizationUploadStateStreamEnd;

}  // namespace

TEST_CASE("ICS state: an empty upload chained behind Configure, then the whole stream") {
  // As outlook-sim sends it: Configure and the four state properties of a contents download
  // (MS-OXCFXICS 3.3.4.3.1), Begin with TransferBufferSize 0 and End, in one call.
  SyncSession s;
  Bytes l = configureRop(kSynchronizationFlagNormal);
  std::vector<Answer> want = {ok(rops::kSynchronizationConfigure, 1)};
  for (uint32_t tag : {rops::kMetaTagIdsetGiven, rops::kMetaTagCnsetSeen,
                       rops::kMetaTagCnsetSeenFAI, rops::kMetaTagCnsetRead}) {
    l = join({l, beginRop(1, tag), endRop(1)});
    want.push_back(ok(kBegin, 1));
    want.push_back(ok(kEnd, 1));
  }
  Bytes payload;
  REQUIRE(s.h.rpc(l, {s.folder, 0xffffffff}, &payload).returnValue == 0);
  CHECK(headerAnswers(payload) == want);
  s.fx = handleTableEntry(payload, 1);
  Bytes all;
  REQUIRE(s.download(all));
  CHECK(all == s.expectedStream());
}

namespace {

/// The PidTagMid values a contents download carries, in order (each message's
/// messageChangeHeader has one, MS-OXCFXICS 2.2.4.3.11).
std::vector<uint64_t> midsIn(const Bytes& stream) {
  Bytes tag;
  ByteWriter(tag).u32(rops::kPidTagMid);
  std::vector<uint64_t> mids;
  for (auto it = stream.begin();
       (it = std::search(it, stream.end(), tag.begin(), tag.end())) != stream.end(); ++it) {
    if (stream.end() - it >= 12) {
      mids.push_back(ByteReader(ByteSpan(&*it + 4, 8)).u64());
    }
  }
  return mids;
}

/// Does the stream carry PidTagAssociated TRUE (2 bytes in a FastTransfer stream)?
bool hasFaiMessage(const Bytes& stream) {
  const Bytes associated = {0x0b, 0x00, 0xaa, 0x67, 0x01, 0x00};
  return std::search(stream.begin(), stream.end(), associated.begin(), associated.end()) !=
         stream.end();
}

}  // namespace

TEST_CASE("RopSynchronizationConfigure: the Normal and FAI flags choose the messages") {
  // MS-OXCFXICS 3.2.5.3: a contents download carries a normal message only if the client set
  // Normal, an FAI message only if it set FAI. The Inbox's third message is made FAI here.
  SyncSession s;
  std::vector<uint64_t> inbox = s.h.mailbox->folder(s.inbox)->messages;
  REQUIRE(inbox.size() == 4);
  s.h.mailbox->message(inbox[2])->associated = true;
  struct Case {
    uint16_t flags;
    std::vector<uint64_t> mids;
  };
  for (const Case& c :
       {Case{0, {}}, Case{kSynchronizationFlagNormal, {inbox[0], inbox[1], inbox[3]}},
        Case{kSynchronizationFlagFai, {inbox[2]}},
        Case{kSynchronizationFlagNormal | kSynchronizationFlagFai, inbox}}) {
    CAPTURE(c.flags);
    Bytes payload;
    REQUIRE(s.h.rpc(configureRop(c.flags), {s.folder, 0xffffffff}, &payload).returnValue == 0);
    REQUIRE(headerAnswers(payload) ==
            std::vector<Answer>{{rops::kSynchronizationConfigure, 1, rops::kSuccess}});
    s.fx = handleTableEntry(payload, 1);
    Bytes all;
    REQUIRE(s.download(all));
    CHECK(midsIn(all) == c.mids);
    CHECK(hasFaiMessage(all) == ((c.flags & kSynchronizationFlagFai) != 0));
    std::lock_guard<std::mutex> lock(s.h.mailbox->mutex());
    auto model = buildContentsSync(*s.h.mailbox, s.inbox, c.flags);
    CHECK(model->steps() == c.mids.size());
    Bytes expect(model->size());
    model->read(0, expect);
    CHECK(all == expect);
  }
}

TEST_CASE("ICS state: a sync that uploads no state still gets the whole stream") {
  SyncSession s;
  Bytes all;
  REQUIRE(s.download(all));
  CHECK(all == s.expectedStream());
}

TEST_CASE("ICS state: a tag that is no ICS state property is refused") {
  SyncSession s;
  CHECK(s.onContext(beginRop(0, rops::kPidTagSubject)) ==
        std::vector<Answer>{{kBegin, 0, rops::kInvalidParameter}});
  // Nothing started: End has nothing to end, and the stream is there.
  CHECK(s.onContext(endRop(0)) == std::vector<Answer>{{kEnd, 0, rops::kGeneralFailure}});
  // MetaTagIdsetGiven tagged PtypBinary is accepted too (MS-OXCFXICS 3.2.5.2.1).
  CHECK(s.onContext(join({beginRop(0, rops::kMetaTagIdsetGivenBinary), endRop(0)})) ==
        std::vector<Answer>{ok(kBegin), ok(kEnd)});
  Bytes all;
  CHECK(s.download(all));
}

TEST_CASE("ICS state: Begin while another property is uploading is refused") {
  SyncSession s;
  CHECK(
      s.onContext(join({beginRop(0, rops::kMetaTagIdsetGiven), beginRop(0, rops::kMetaTagCnsetSeen),
                        endRop(0), beginRop(0, rops::kMetaTagCnsetSeen), endRop(0)})) ==
      std::vector<Answer>{
          ok(kBegin), {kBegin, 0, rops::kGeneralFailure}, ok(kEnd), ok(kBegin), ok(kEnd)});
  // Across calls too.
  CHECK(s.onContext(beginRop(0, rops::kMetaTagCnsetRead)) == std::vector<Answer>{ok(kBegin)});
  CHECK(s.onContext(beginRop(0, rops::kMetaTagCnsetSeenFAI)) ==
        std::vector<Answer>{{kBegin, 0, rops::kGeneralFailure}});
}

TEST_CASE("ICS state: GetBuffer while a property is uploading is refused, header only") {
  SyncSession s;
  REQUIRE(s.onContext(beginRop(0, rops::kMetaTagCnsetSeen)) == std::vector<Answer>{ok(kBegin)});
  Bytes payload;
  REQUIRE(s.h.rpc(getBufferRop(0), {s.fx}, &payload).returnValue == 0);
  CHECK(headerAnswers(payload) ==
        std::vector<Answer>{{rops::kFastTransferSourceGetBuffer, 0, rops::kGeneralFailure}});
  CHECK(s.onContext(endRop(0)) == std::vector<Answer>{ok(kEnd)});
  Bytes all;
  REQUIRE(s.download(all));
  CHECK(all == s.expectedStream());
  // Once the stream has started, no state can follow.
  CHECK(s.onContext(beginRop(0, rops::kMetaTagCnsetSeen)) ==
        std::vector<Answer>{{kBegin, 0, rops::kGeneralFailure}});
}

TEST_CASE("ICS state: a non-empty state is refused at End (no differential sync), and the stream") {
  SyncSession s;
  Bytes cnset(24, 0x5a);
  CHECK(s.onContext(join({beginRop(0, rops::kMetaTagCnsetSeen, 24),
                          continueRop(0, Bytes(cnset.begin(), cnset.begin() + 10)),
                          continueRop(0, Bytes(cnset.begin() + 10, cnset.end())), endRop(0)})) ==
        std::vector<Answer>{ok(kBegin), ok(kContinue), ok(kContinue), {kEnd, 0, rops::kNoSupport}});
  Bytes all;
  CHECK_FALSE(s.download(all));
  CHECK(all.empty());
  // Another context of the same folder is not affected.
  s.fx = s.configure();
  CHECK(s.download(all));
}

TEST_CASE("ICS state: the value of one property is capped (EmsmdbLimits::maxIcsStateBytes)") {
  EmsmdbLimits limits;
  limits.maxIcsStateBytes = 100;
  SyncSession s(limits);
  CHECK(s.onContext(beginRop(0, rops::kMetaTagCnsetSeen, 101)) ==
        std::vector<Answer>{{kBegin, 0, rops::kTooBig}});
  CHECK(s.onContext(join({beginRop(0, rops::kMetaTagCnsetSeen, 100), continueRop(0, Bytes(60, 1)),
                          continueRop(0, Bytes(41, 2)), continueRop(0, Bytes(40, 3)),
                          continueRop(0, Bytes(1, 4))})) ==
        std::vector<Answer>{ok(kBegin),
                            ok(kContinue),
                            {kContinue, 0, rops::kTooBig},
                            ok(kContinue),
                            {kContinue, 0, rops::kTooBig}});
  CHECK(s.onContext(endRop(0)) == std::vector<Answer>{{kEnd, 0, rops::kNoSupport}});
  // The default cap is 1 MiB.
  CHECK(EmsmdbLimits{}.maxIcsStateBytes == 1u << 20);
}

TEST_CASE(
    "ICS state: the upload ROPs need a synchronization context; malformed ones fail the call") {
  SyncSession s;
  CHECK(
      s.onContext(join({beginRop(0, rops::kMetaTagCnsetSeen), continueRop(0, Bytes{}), endRop(0)}),
                  s.folder) == std::vector<Answer>{{kBegin, 0, rops::kNullObject},
                                                   {kContinue, 0, rops::kNullObject},
                                                   {kEnd, 0, rops::kNullObject}});
  CHECK(s.onContext(continueRop(0, Bytes{1})) ==
        std::vector<Answer>{{kContinue, 0, rops::kGeneralFailure}});
  // StreamDataSize beyond the RopsList; Begin cut short: the buffer is malformed.
  Bytes over = continueRop(0, Bytes{1, 2, 3});
  over[3] = 4;
  CHECK(s.h.rpc(over, {s.fx}).returnValue == rops::kRpcFormat);
  Bytes cut = beginRop(0, rops::kMetaTagCnsetSeen);
  cut.resize(cut.size() - 1);
  CHECK(s.h.rpc(cut, {s.fx}).returnValue == rops::kRpcFormat);
}

TEST_CASE("garbage and mutated ROP buffers never crash the service (run under ASan)") {
  Harness h({}, 40000);
  REQUIRE(h.connect() == 0);
  Bytes payload;
  REQUIRE(h.rpc(logonRop(), {0xffffffff}, &payload).returnValue == 0);
  uint32_t logon = handleTableEntry(payload, 0);
  uint64_t inbox = specialFolderId(SpecialFolder::Inbox);
  uint64_t mid = h.mailbox->folder(inbox)->messages[0];
  // A valid chain to mutate: open message, attachment, stream, read, seek, write, set and get
  // size, the ICS state upload, release.
  Bytes base;
  ByteWriter w(base);
  w.bytes(Bytes{rops::kOpenMessage, 0, 0, 1, 0xff, 0x0f});
  w.u64(inbox);
  w.u8(0);
  w.u64(mid);
  w.bytes(Bytes{rops::kOpenAttachment, 0, 1, 2, 0, 0, 0, 0, 0});
  w.bytes(Bytes{rops::kOpenStream, 0, 2, 3});
  w.u32(rops::kPidTagAttachDataBinary);
  w.u8(1);
  w.bytes(Bytes{rops::kReadStream, 0, 3, 0xbe, 0xba, 0x00, 0x80, 0x00, 0x00});
  w.bytes(Bytes{rops::kSeekStream, 0, 3, 2, 0, 0, 0, 0, 0, 0, 0, 0});
  w.bytes(Bytes{rops::kWriteStream, 0, 3, 4, 0, 1, 2, 3, 4});
  w.bytes(Bytes{rops::kSetStreamSize, 0, 3, 9, 0, 0, 0, 0, 0, 0, 0});
  w.bytes(Bytes{rops::kGetStreamSize, 0, 3});
  // The ICS state upload ROPs, on an object that is no synchronization context.
  w.bytes(beginRop(3, rops::kMetaTagCnsetSeen, 3));
  w.bytes(continueRop(3, Bytes{1, 2, 3}));
  w.bytes(endRop(3));
  w.bytes(Bytes{rops::kRelease, 0, 3});
  REQUIRE(h.rpc(base, {logon, 0xffffffff, 0xffffffff, 0xffffffff}).returnValue == 0);
  uint64_t s = 0x9e3779b97f4a7c15ULL;
  auto next = [&s] {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  };
  size_t failed = 0;
  for (int i = 0; i < 3000; ++i) {
    Bytes m = base;
    int flips = 1 + static_cast<int>(next() % 4);
    for (int k = 0; k < flips; ++k) {
      m[next() % m.size()] = static_cast<uint8_t>(next());
    }
    if (next() % 4 == 0) {
      m.resize(next() % m.size());
    }
    std::vector<uint32_t> handles = {logon, 0xffffffff, static_cast<uint32_t>(next() % 64),
                                     0xffffffff};
    auto r = h.rpc(m, handles);
    failed += r.returnValue != 0 ? 1 : 0;
  }
  CHECK(failed > 0);     // mutations do break buffers...
  CHECK(failed < 3000);  // ...and many still execute
  uint32_t fault = 0;
  for (int i = 0; i < 500; ++i) {
    Bytes junk(next() % 300);
    for (auto& b : junk) {
      b = static_cast<uint8_t>(next());
    }
    for (uint16_t op :
         {oxcrpc::kOpEcDoConnectEx, oxcrpc::kOpEcDoRpcExt2, oxcrpc::kOpEcDoDisconnect}) {
      (void)h.service.call(op, junk, fault);
    }
  }
  CHECK(h.service.sessionCount() <= 1024);
}

namespace {

/// RopGetPropertiesAll on the object at handle index `in` (MS-OXCROPS 2.2.8.4.1); WantUnicode 0.
Bytes getPropertiesAllRop(uint8_t in, uint16_t propertySizeLimit = 0) {
  Bytes b;
  ByteWriter w(b);
  w.u8(rops::kGetPropertiesAll);
  w.u8(0);  // LogonId
  w.u8(in);
  w.u16(propertySizeLimit);
  w.u16(0);  // WantUnicode
  return b;
}

/// One RopGetPropertiesAll answer read from `r` (2.2.8.4.2 / 2.2.8.4.3): its ReturnValue and,
/// on success, its PropertyValues.
uint32_t readPropertiesAll(ByteReader& r, uint8_t index, std::vector<rops::TaggedValue>& values) {
  CHECK(r.u8() == rops::kGetPropertiesAll);
  CHECK(r.u8() == index);
  uint32_t rv = r.u32();
  values.clear();
  if (rv == rops::kSuccess) {
    uint16_t count = r.u16();
    for (uint16_t i = 0; i < count && r.ok(); ++i) {
      rops::TaggedValue v;
      REQUIRE(rops::readTaggedPropertyValue(r, v));
      values.push_back(std::move(v));
    }
  }
  REQUIRE(r.ok());
  return rv;
}

/// A session logged on, with the Inbox, its first message ("attachment-100000") and that
/// message's attachment open, in one call: handles 1, 2, 3 of `objects`.
struct OpenObjects {
  Harness h;
  std::vector<uint32_t> objects;
  uint64_t inbox = specialFolderId(SpecialFolder::Inbox);
  uint64_t mid = 0;

  OpenObjects() {
    REQUIRE(h.connect() == 0);
    Bytes payload;
    REQUIRE(h.rpc(logonRop(), {0xffffffff}, &payload).returnValue == 0);
    uint32_t logon = handleTableEntry(payload, 0);
    mid = h.mailbox->folder(inbox)->messages[0];
    Bytes l = openFolderRop(0, 1, inbox);
    ByteWriter w(l);
    w.bytes(Bytes{rops::kOpenMessage, 0, 0, 2, 0xff, 0x0f});
    w.u64(inbox);
    w.u8(0);
    w.u64(mid);
    w.bytes(Bytes{rops::kOpenAttachment, 0, 2, 3, 0, 0, 0, 0, 0});
    REQUIRE(h.rpc(l, {logon, 0xffffffff, 0xffffffff, 0xffffffff}, &payload).returnValue == 0);
    for (size_t i = 0; i < 4; ++i) {
      objects.push_back(handleTableEntry(payload, i));
    }
  }

  /// The RopsList of the answer to `ropList` on the open objects.
  Bytes answers(const Bytes& ropList) {
    Bytes payload;
    REQUIRE(h.rpc(ropList, objects, &payload).returnValue == 0);
    uint16_t ropSize = static_cast<uint16_t>(payload[0] | payload[1] << 8);
    return Bytes(payload.begin() + 2, payload.begin() + ropSize);
  }
};

}  // namespace

TEST_CASE("RopGetPropertiesAll: every property the sim keeps on a folder, message, attachment") {
  OpenObjects o;
  Bytes rops = join({getPropertiesAllRop(1), getPropertiesAllRop(2), getPropertiesAllRop(3)});
  Bytes out = o.answers(rops);
  ByteReader r(out);
  std::vector<rops::TaggedValue> folder, message, attachment;
  CHECK(readPropertiesAll(r, 1, folder) == rops::kSuccess);
  CHECK(readPropertiesAll(r, 2, message) == rops::kSuccess);
  CHECK(readPropertiesAll(r, 3, attachment) == rops::kSuccess);
  CHECK(r.remaining() == 0);

  // The sample: the Inbox holds "attachment-100000" and three small messages.
  CHECK(folder == std::vector<rops::TaggedValue>{{rops::kPidTagFolderId, o.inbox},
                                                 {rops::kPidTagDisplayName, std::string("Inbox")},
                                                 {rops::kPidTagContentCount, uint32_t{4}}});
  const Message& m = *o.h.mailbox->message(o.mid);
  CHECK(message == std::vector<rops::TaggedValue>{{rops::kPidTagMid, o.mid},
                                                  {rops::kPidTagSubject, m.subject},
                                                  {rops::kPidTagMessageSize, m.size()},
                                                  {rops::kPidTagHasAttachments, true}});
  CHECK(m.subject == "attachment-100000");
  auto hash = sha256(makeContent(attachmentSeed(100000), 100000));
  CHECK(attachment == std::vector<rops::TaggedValue>{
                          {rops::kPidTagAttachNumber, uint32_t{0}},
                          {rops::kPidTagAttachSize, uint32_t{100000}},
                          {rops::kPidTagAttachLongFilename, std::string("report-100000.docx")},
                          {rops::kPidTagSimContentSha256, Bytes(hash.begin(), hash.end())}});

  // The same values RopGetPropertiesSpecific answers for those tags.
  Bytes specific;
  ByteWriter w(specific);
  w.bytes(Bytes{rops::kGetPropertiesSpecific, 0, 2, 0, 0, 0, 0});
  w.u16(static_cast<uint16_t>(message.size()));
  std::vector<uint32_t> tags;
  for (const auto& v : message) {
    tags.push_back(v.tag);
    w.u32(v.tag);
  }
  Bytes sout = o.answers(specific);
  ByteReader sr(sout);
  sr.skip(6);
  std::vector<rops::Value> values;
  REQUIRE(rops::readPropertyRow(sr, tags, values));
  for (size_t i = 0; i < tags.size(); ++i) {
    CHECK(values[i] == message[i].value);
  }
}

TEST_CASE("RopGetPropertiesAll: a value longer than PropertySizeLimit is NotEnoughMemory") {
  OpenObjects o;
  // 16 bytes: the file name (19 with its terminator) and the SHA-256 (32) are too long.
  Bytes out = o.answers(getPropertiesAllRop(3, 16));
  ByteReader r(out);
  std::vector<rops::TaggedValue> attachment;
  REQUIRE(readPropertiesAll(r, 3, attachment) == rops::kSuccess);
  CHECK(attachment == std::vector<rops::TaggedValue>{
                          {rops::kPidTagAttachNumber, uint32_t{0}},
                          {rops::kPidTagAttachSize, uint32_t{100000}},
                          {(rops::kPidTagAttachLongFilename & 0xffff0000) | rops::kPtypErrorCode,
                           rops::kNotEnoughMemory},
                          {(rops::kPidTagSimContentSha256 & 0xffff0000) | rops::kPtypErrorCode,
                           rops::kNotEnoughMemory}});
  // 19 fits the file name exactly.
  out = o.answers(getPropertiesAllRop(3, 19));
  ByteReader r19(out);
  REQUIRE(readPropertiesAll(r19, 3, attachment) == rops::kSuccess);
  CHECK(attachment[2] ==
        rops::TaggedValue{rops::kPidTagAttachLongFilename, std::string("report-100000.docx")});
}

TEST_CASE("RopGetPropertiesAll: a bad handle fails with ecNullObject, header only") {
  OpenObjects o;
  // A handle the session never gave out, then a released one: each answer is the header
  // alone, and the next answer follows it.
  o.objects.push_back(0x0badf00d);
  Bytes release = {rops::kRelease, 0, 2};
  Bytes out = o.answers(
      join({getPropertiesAllRop(4), release, getPropertiesAllRop(2), getPropertiesAllRop(1)}));
  ByteReader r(out);
  std::vector<rops::TaggedValue> values;
  CHECK(readPropertiesAll(r, 4, values) == rops::kNullObject);
  CHECK(values.empty());
  CHECK(readPropertiesAll(r, 2, values) == rops::kNullObject);
  CHECK(readPropertiesAll(r, 1, values) == rops::kSuccess);
  CHECK(values.size() == 3);
  CHECK(r.remaining() == 0);
  // A handle index beyond the table; a request cut short fails the buffer.
  Bytes beyond = o.answers(getPropertiesAllRop(9));
  ByteReader rb(beyond);
  CHECK(readPropertiesAll(rb, 9, values) == rops::kNullObject);
  CHECK(rb.remaining() == 0);
  Bytes cut = getPropertiesAllRop(1);
  cut.pop_back();
  CHECK(o.h.rpc(cut, o.objects).returnValue == rops::kRpcFormat);
}

TEST_CASE("caps on saving: each answers its own error (ecTooBig, ecQuotaExceeded, ...)") {
  MailboxLimits caps;
  caps.maxAttachmentBytes = 100;  // the largest stream
  caps.maxUploadedBytes = 150;    // all attachment bytes saved
  caps.maxAttachmentsPerMessage = 3;
  Harness h({}, 40000, caps);
  REQUIRE(h.connect() == 0);
  Bytes payload;
  REQUIRE(h.rpc(logonRop(), {0xffffffff}, &payload).returnValue == 0);
  uint32_t logon = handleTableEntry(payload, 0);
  uint64_t outbox = specialFolderId(SpecialFolder::Outbox);
  Bytes open;
  ByteWriter ow(open);
  ow.bytes(Bytes{rops::kOpenMessage, 0, 0, 1, 0xff, 0x0f});
  ow.u64(outbox);
  ow.u8(0x01);                                     // ReadWrite
  ow.u64(h.mailbox->folder(outbox)->messages[0]);  // "upload", no attachment yet
  REQUIRE(h.rpc(open, {logon, 0xffffffff}, &payload).returnValue == 0);
  uint32_t message = handleTableEntry(payload, 1);

  // RopCreateAttachment, then RopOpenStream (Create) on it: the create's ReturnValue and the
  // stream's handle.
  auto newAttachment = [&](uint32_t& stream) {
    Bytes l = {rops::kCreateAttachment, 0, 0, 1, rops::kOpenStream, 0, 1, 2};
    ByteWriter w(l);
    w.u32(rops::kPidTagAttachDataBinary);
    w.u8(rops::kStreamCreate);
    REQUIRE(h.rpc(l, {message, 0xffffffff, 0xffffffff}, &payload).returnValue == 0);
    stream = handleTableEntry(payload, 2);
    ByteReader r(ByteSpan(payload).subspan(2));
    CHECK(r.u8() == rops::kCreateAttachment);
    r.skip(1);
    return r.u32();
  };
  // One stream ROP: its ReturnValue.
  auto onStream = [&](const Bytes& rop, uint32_t stream) {
    REQUIRE(h.rpc(rop, {stream}, &payload).returnValue == 0);
    ByteReader r(ByteSpan(payload).subspan(4));
    return r.u32();
  };
  auto write = [](size_t n) {
    Bytes b = {rops::kWriteStream, 0, 0, static_cast<uint8_t>(n), 0};
    b.resize(b.size() + n, 0x5a);
    return b;
  };
  auto setSize = [](uint8_t n) {
    return Bytes{rops::kSetStreamSize, 0, 0, n, 0, 0, 0, 0, 0, 0, 0};
  };
  const Bytes commit = {rops::kCommitStream, 0, 0};

  // Beyond the largest stream: ecTooBig, by writing or by setting the size (MS-OXCPRPT
  // 3.2.5.13); up to it is fine.
  uint32_t first = 0;
  REQUIRE(newAttachment(first) == rops::kSuccess);
  CHECK(onStream(write(101), first) == rops::kTooBig);
  CHECK(onStream(setSize(101), first) == rops::kTooBig);
  CHECK(onStream(write(100), first) == rops::kSuccess);
  CHECK(onStream(commit, first) == rops::kSuccess);
  // The second 100 bytes would pass the mailbox's 150: ecQuotaExceeded at the commit.
  uint32_t second = 0;
  REQUIRE(newAttachment(second) == rops::kSuccess);
  CHECK(onStream(write(100), second) == rops::kSuccess);
  CHECK(onStream(commit, second) == rops::kQuotaExceeded);
  CHECK(h.mailbox->uploadedBytes() == 100);
  // A third attachment is the last one the message may have.
  uint32_t third = 0;
  CHECK(newAttachment(third) == rops::kSuccess);
  uint32_t fourth = 0;
  CHECK(newAttachment(fourth) == rops::kMaxAttachmentExceeded);
  CHECK(fourth == 0xffffffff);
  CHECK(h.mailbox->message(h.mailbox->folder(outbox)->messages[0])->attachments.size() == 3);

  // A read-only stream cannot be resized: access denied, not a size error.
  uint64_t inbox = specialFolderId(SpecialFolder::Inbox);
  Bytes ro;
  ByteWriter rw(ro);
  rw.bytes(Bytes{rops::kOpenMessage, 0, 0, 1, 0xff, 0x0f});
  rw.u64(inbox);
  rw.u8(0);
  rw.u64(h.mailbox->folder(inbox)->messages[0]);
  rw.bytes(Bytes{rops::kOpenAttachment, 0, 1, 2, 0, 0, 0, 0, 0});
  rw.bytes(Bytes{rops::kOpenStream, 0, 2, 3});
  rw.u32(rops::kPidTagAttachDataBinary);
  rw.u8(rops::kStreamReadOnly);
  REQUIRE(h.rpc(ro, {logon, 0xffffffff, 0xffffffff, 0xffffffff}, &payload).returnValue == 0);
  CHECK(onStream(setSize(1), handleTableEntry(payload, 3)) == 0x80030005);  // STG_E_ACCESSDENIED
}
