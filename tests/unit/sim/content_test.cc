#include "sim/content.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "sim/fast_transfer.h"
#include "sim/mailbox.h"

using namespace bh;
using namespace bh::sim;

TEST_CASE("content: deterministic, random access equals the whole, seeds differ") {
  Bytes whole = makeContent(42, 200000);
  CHECK(whole == makeContent(42, 200000));
  CHECK(whole != makeContent(43, 200000));
  for (uint64_t off : {0ull, 1ull, 4095ull, 4096ull, 12345ull, 199000ull}) {
    Bytes part(1000);
    fillContent(42, off, part);
    CHECK(std::equal(part.begin(), part.end(), whole.begin() + static_cast<long>(off)));
  }
  CHECK(contentSha256(42, 200000) == sha256(whole));
  CHECK(hexDigest(sha256(Bytes{})) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("content: partly compressible (text blocks), partly random, with repeats") {
  Bytes b = makeContent(7, 4096 * 256);
  size_t text = 0;
  size_t repeats = 0;
  std::set<Bytes> seen;
  for (size_t i = 0; i < 256; ++i) {
    Bytes blk(b.begin() + static_cast<long>(i * 4096),
              b.begin() + static_cast<long>((i + 1) * 4096));
    size_t printable = 0;
    for (uint8_t c : blk) {
      printable += (c >= 0x20 && c < 0x7f) || c == '\n' ? 1 : 0;
    }
    text += printable == blk.size() ? 1 : 0;
    repeats += seen.insert(blk).second ? 0 : 1;
  }
  CHECK(text > 256 * 35 / 100);
  CHECK(text < 256 * 80 / 100);
  CHECK(repeats > 256 * 10 / 100);
}

TEST_CASE("parseSize") {
  CHECK(parseSize("10MiB") == 10u << 20);
  CHECK(parseSize("50MiB") == 50u << 20);
  CHECK(parseSize("512KiB") == 512u << 10);
  CHECK(parseSize("1048576") == 1048576);
  CHECK(parseSize("2MB") == 2000000);
  CHECK(parseSize("") == 0);
  CHECK(parseSize("MiB") == 0);
  CHECK(parseSize("10XB") == 0);
  CHECK(parseSize("99999999999999999") == 0);
}

TEST_CASE("mailbox sample and caps on uploads") {
  MailboxLimits limits;
  limits.maxAttachmentsPerMessage = 3;
  limits.maxUploadedBytes = 1000;
  auto mb = Mailbox::sample(5, {100000}, limits);
  const Folder* inbox = mb->folder(specialFolderId(SpecialFolder::Inbox));
  REQUIRE(inbox != nullptr);
  CHECK(inbox->messages.size() == 6);
  Message* big = mb->message(inbox->messages[0]);
  CHECK(big->subject == attachmentSubject(100000));
  CHECK(*big->attachments[0].data == makeContent(attachmentSeed(100000), 100000));
  uint64_t draft = mb->folder(specialFolderId(SpecialFolder::Outbox))->messages[0];
  CHECK(mb->addAttachment(draft, "a", Bytes(400)) == 0);
  CHECK(mb->addAttachment(draft, "b", Bytes(400)) == 1);
  CHECK(mb->addAttachment(draft, "c", Bytes(400)) == -1);  // over maxUploadedBytes
  CHECK(mb->addAttachment(draft, "c", Bytes(100)) == 2);
  CHECK(mb->addAttachment(draft, "d", Bytes(1)) == -1);  // over maxAttachmentsPerMessage
  CHECK(mb->uploadedBytes() == 900);
  CHECK_FALSE(mb->setAttachmentData(draft, 0, Bytes(200)));
  CHECK(mb->setAttachmentData(draft, 0, Bytes(100)));
}

TEST_CASE("mailbox sample: --folder-messages adds a folder and changes nothing else") {
  auto plain = Mailbox::sample(4, {100000});
  auto more = Mailbox::sample(4, {100000}, {}, 25);
  CHECK(plain->folder(bulkFolderId()) == nullptr);
  const Folder* bulk = more->folder(bulkFolderId());
  REQUIRE(bulk != nullptr);
  CHECK(bulk->name == kBulkFolderName);
  CHECK(bulk->messages.size() == 25);
  CHECK(more->folders().size() == plain->folders().size() + 1);
  // The Inbox and the Outbox keep their identifiers and content.
  for (SpecialFolder sf : {SpecialFolder::Inbox, SpecialFolder::Outbox}) {
    const Folder* a = plain->folder(specialFolderId(sf));
    const Folder* b = more->folder(specialFolderId(sf));
    REQUIRE(a->messages == b->messages);
    for (uint64_t mid : a->messages) {
      CHECK(plain->message(mid)->body == more->message(mid)->body);
    }
  }
  // The folder's messages: own identifiers, other content than the Inbox's small messages,
  // every fifth with a 20 KiB attachment.
  size_t withAttachment = 0;
  const Folder* inbox = more->folder(specialFolderId(SpecialFolder::Inbox));
  for (size_t i = 0; i < bulk->messages.size(); ++i) {
    const Message* m = more->message(bulk->messages[i]);
    REQUIRE(m != nullptr);
    CHECK(m->fid == bulkFolderId());
    CHECK(m->subject == "project note " + std::to_string(i));
    CHECK(std::find(inbox->messages.begin(), inbox->messages.end(), m->mid) ==
          inbox->messages.end());
    withAttachment += m->attachments.size();
  }
  CHECK(withAttachment == 5);
  CHECK(more->message(bulk->messages[1])->body != more->message(inbox->messages[2])->body);
  // Its contents download carries all 25 messages and none of the Inbox's attachment.
  auto fx = buildContentsSync(*more, bulkFolderId(), kSynchronizationFlagNormal);
  CHECK(fx->steps() == 25);
  Bytes all(fx->size());
  REQUIRE(fx->read(0, all) == all.size());
  Bytes att = makeContent(attachmentSeed(100000), 100000);
  CHECK(std::search(all.begin(), all.end(), att.begin(), att.end()) == all.end());
}

TEST_CASE("FastTransfer contents download: structure and random access") {
  auto mb = Mailbox::sample(3, {50000});
  auto fx =
      buildContentsSync(*mb, specialFolderId(SpecialFolder::Inbox), kSynchronizationFlagNormal);
  CHECK(fx->steps() == 4);
  Bytes all(fx->size());
  REQUIRE(fx->read(0, all) == all.size());
  ByteReader r(all);
  CHECK(r.u32() == kIncrSyncChg);
  // The stream ends with the state and IncrSyncEnd.
  ByteReader tail(ByteSpan(all).last(20));
  CHECK(tail.u32() == kIncrSyncStateBegin);
  CHECK(tail.u32() == kMetaTagCnsetSeen);
  CHECK(tail.u32() == 0);
  CHECK(tail.u32() == kIncrSyncStateEnd);
  CHECK(tail.u32() == kIncrSyncEnd);
  // The attachment's bytes are in there verbatim.
  Bytes att = makeContent(attachmentSeed(50000), 50000);
  CHECK(std::search(all.begin(), all.end(), att.begin(), att.end()) != all.end());
  for (uint64_t off = 0; off < all.size(); off += 7919) {
    Bytes part(3000);
    size_t n = fx->read(off, part);
    CHECK(n == std::min<size_t>(3000, all.size() - off));
    CHECK(std::equal(part.begin(), part.begin() + static_cast<long>(n),
                     all.begin() + static_cast<long>(off)));
  }
  CHECK(fx->stepAt(0) == 1);
  CHECK(fx->stepAt(all.size() - 1) == 4);
}
