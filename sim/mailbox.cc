#include "sim/mailbox.h"

#include "sim/content.h"

namespace bh::sim {

uint64_t specialFolderId(SpecialFolder f) {
  return makeId(0x100 + static_cast<uint64_t>(f));
}

uint64_t bulkFolderId() {
  return makeId(0x200);
}

namespace {

/// A small message: a printable body of 1-4 KiB, every fifth with a 20 KiB attachment.
/// `salt` keeps the content of different folders apart.
Message smallMessage(uint64_t mid, uint64_t fid, const std::string& subject, size_t i,
                     uint64_t salt) {
  Message m;
  m.mid = mid;
  m.fid = fid;
  m.subject = subject;
  Bytes body = makeContent((0xb0d1ULL ^ salt) + i, 1024 + (i * 97) % 3072);
  for (auto& c : body) {
    c = static_cast<uint8_t>(c < 0x20 || c > 0x7e ? ' ' : c);  // printable body
  }
  m.body.assign(body.begin(), body.end());
  if (i % 5 == 0) {
    Attachment a;
    a.fileName = "notes-" + std::to_string(i) + ".txt";
    a.seed = (0xa77ac400ULL ^ salt) + i;
    a.data = std::make_shared<const Bytes>(makeContent(a.seed, 20 << 10));
    m.attachments.push_back(std::move(a));
  }
  return m;
}

}  // namespace

uint32_t Message::size() const {
  uint64_t n = subject.size() + body.size();
  for (const auto& a : attachments) {
    n += a.data ? a.data->size() : 0;
  }
  return static_cast<uint32_t>(std::min<uint64_t>(n, 0x7fffffff));
}

uint64_t attachmentSeed(uint64_t size) {
  return 0x5eed00000000ULL ^ size;
}

std::string attachmentSubject(uint64_t size) {
  return "attachment-" + std::to_string(size);
}

std::unique_ptr<Mailbox> Mailbox::sample(size_t smallMessages,
                                         const std::vector<uint64_t>& attachmentSizes,
                                         MailboxLimits limits, size_t folderMessages) {
  auto mb = std::make_unique<Mailbox>();
  mb->limits_ = limits;
  for (size_t i = 0; i < kSpecialFolderCount; ++i) {
    static const char* names[] = {
        "Root",         "Deferred Action", "Spooler Queue", "Top of Information Store",
        "Inbox",        "Outbox",          "Sent Items",    "Deleted Items",
        "Common Views", "Schedule",        "Finder",        "Views",
        "Shortcuts"};
    mb->folders_.push_back({specialFolderId(static_cast<SpecialFolder>(i)), names[i], {}});
  }
  Folder& inbox = mb->folders_[static_cast<size_t>(SpecialFolder::Inbox)];
  Folder& outbox = mb->folders_[static_cast<size_t>(SpecialFolder::Outbox)];
  uint64_t counter = 0x1000;
  for (uint64_t size : attachmentSizes) {
    Message m;
    m.mid = makeId(counter++);
    m.fid = inbox.fid;
    m.subject = attachmentSubject(size);
    m.body = "Please find the " + std::to_string(size) + " byte file attached.\r\n";
    Attachment a;
    a.number = 0;
    a.fileName = "report-" + std::to_string(size) + ".docx";
    a.seed = attachmentSeed(size);
    a.data = std::make_shared<const Bytes>(makeContent(a.seed, size));
    m.attachments.push_back(std::move(a));
    inbox.messages.push_back(m.mid);
    mb->messages_[m.mid] = std::move(m);
  }
  for (size_t i = 0; i < smallMessages; ++i) {
    Message m =
        smallMessage(makeId(counter++), inbox.fid, "status update " + std::to_string(i), i, 0);
    inbox.messages.push_back(m.mid);
    mb->messages_[m.mid] = std::move(m);
  }
  Message draft;
  draft.mid = makeId(counter++);
  draft.fid = outbox.fid;
  draft.subject = "upload";
  draft.body = "Attachments saved by outlook-sim.\r\n";
  outbox.messages.push_back(draft.mid);
  mb->messages_[draft.mid] = std::move(draft);
  if (folderMessages > 0) {
    // After the draft, so that every other identifier is the same with or without it.
    Folder bulk{bulkFolderId(), kBulkFolderName, {}};
    for (size_t i = 0; i < folderMessages; ++i) {
      Message m = smallMessage(makeId(counter++), bulk.fid, "project note " + std::to_string(i), i,
                               0x5a5a0000ULL);
      bulk.messages.push_back(m.mid);
      mb->messages_[m.mid] = std::move(m);
    }
    mb->folders_.push_back(std::move(bulk));
  }
  return mb;
}

const Folder* Mailbox::folder(uint64_t fid) const {
  for (const auto& f : folders_) {
    if (f.fid == fid) {
      return &f;
    }
  }
  return nullptr;
}

Message* Mailbox::message(uint64_t mid) {
  auto it = messages_.find(mid);
  return it == messages_.end() ? nullptr : &it->second;
}

int64_t Mailbox::addAttachment(uint64_t mid, std::string fileName, Bytes data) {
  Message* m = message(mid);
  if (m == nullptr || m->attachments.size() >= limits_.maxAttachmentsPerMessage ||
      data.size() > limits_.maxAttachmentBytes ||
      uploaded_ + data.size() > limits_.maxUploadedBytes) {
    return -1;
  }
  uint32_t number = m->attachments.empty() ? 0 : m->attachments.back().number + 1;
  uploaded_ += data.size();
  m->attachments.push_back(
      {number, std::move(fileName), 0, std::make_shared<const Bytes>(std::move(data))});
  return number;
}

bool Mailbox::setAttachmentData(uint64_t mid, uint32_t number, Bytes data) {
  Message* m = message(mid);
  if (m == nullptr || data.size() > limits_.maxAttachmentBytes ||
      uploaded_ + data.size() > limits_.maxUploadedBytes) {
    return false;
  }
  for (auto& a : m->attachments) {
    if (a.number == number) {
      uploaded_ += data.size();
      a.seed = 0;
      a.data = std::make_shared<const Bytes>(std::move(data));
      return true;
    }
  }
  return false;
}

}  // namespace bh::sim
