#pragma once

// The in-memory mailbox exchange-sim serves and outlook-sim predicts: folders, messages and
// attachments whose data is deterministic content (sim/content.h). Identifiers follow
// MS-OXCDATA 2.2.1: a FID/MID is ReplId (2 bytes) + GlobalCounter (6 bytes); here ReplId 1.

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace bh::sim {

inline constexpr uint64_t makeId(uint64_t globalCounter) {
  return 0x0001 | (globalCounter << 16);
}

/// Well-known folders, in the order RopLogon's FolderIds lists them (MS-OXCROPS 2.2.3.1.3).
enum class SpecialFolder {
  Root,
  DeferredAction,
  SpoolerQueue,
  IpmSubtree,
  Inbox,
  Outbox,
  SentItems,
  DeletedItems,
  CommonViews,
  Schedule,
  Finder,
  Views,
  Shortcuts
};
inline constexpr size_t kSpecialFolderCount = 13;
uint64_t specialFolderId(SpecialFolder f);

struct Attachment {
  uint32_t number = 0;
  std::string fileName;
  uint64_t seed = 0;  ///< content seed (0 for uploaded data)
  std::shared_ptr<const Bytes> data;
};

struct Message {
  uint64_t mid = 0;
  uint64_t fid = 0;
  std::string subject;
  std::string body;
  std::vector<Attachment> attachments;
  /// PidTagAssociated: folder associated information (FAI), not a normal message. The sample
  /// mailbox has none; a contents sync sends them only when asked (MS-OXCFXICS 3.2.5.3).
  bool associated = false;
  /// PidTagMessageSize: body + attachment bytes (an approximation of the store's figure).
  uint32_t size() const;
};

struct Folder {
  uint64_t fid = 0;
  std::string name;
  std::vector<uint64_t> messages;  ///< MIDs in order
};

struct MailboxLimits {
  size_t maxAttachmentsPerMessage = 64;
  uint64_t maxUploadedBytes = 512ull << 20;  ///< sum of attachments saved through WriteStream
  uint64_t maxAttachmentBytes = 256ull << 20;
};

/// The extra folder `--folder-messages N` adds under the IPM subtree ("Top of Information
/// Store"): N small messages, for a sync of a folder of a given size without the Inbox's big
/// attachments. Absent when N is 0 (the default mailbox is unchanged).
inline constexpr const char* kBulkFolderName = "Projects";
uint64_t bulkFolderId();

/// The content seed of the sample attachment of `size` bytes ("attachment-<size>").
uint64_t attachmentSeed(uint64_t size);
/// The subject of the sample message that carries it.
std::string attachmentSubject(uint64_t size);

/// Thread-safe: sessions of several connections share one mailbox.
class Mailbox {
 public:
  /// The built-in sample: in the Inbox, one message per attachment size (subject
  /// "attachment-<bytes>", one attachment of that size) and `smallMessages` small messages, a
  /// few with 20 KiB attachments; a Drafts-like "Outbox" holding one message to save into;
  /// with `folderMessages` > 0, the folder kBulkFolderName holding that many small messages
  /// (same shapes as the Inbox's, other content).
  static std::unique_ptr<Mailbox> sample(size_t smallMessages,
                                         const std::vector<uint64_t>& attachmentSizes,
                                         MailboxLimits limits = {}, size_t folderMessages = 0);

  std::mutex& mutex() { return mutex_; }
  /// Lookups; the caller holds mutex().
  const Folder* folder(uint64_t fid) const;
  Message* message(uint64_t mid);
  const std::vector<Folder>& folders() const { return folders_; }
  /// Adds an attachment to `mid`. @return its number, or -1 over a cap.
  int64_t addAttachment(uint64_t mid, std::string fileName, Bytes data);
  /// Replaces attachment data (CommitStream). @return false over a cap or if gone.
  bool setAttachmentData(uint64_t mid, uint32_t number, Bytes data);
  const MailboxLimits& limits() const { return limits_; }
  uint64_t uploadedBytes() const { return uploaded_; }

 private:
  std::mutex mutex_;
  std::vector<Folder> folders_;
  std::map<uint64_t, Message> messages_;
  MailboxLimits limits_;
  uint64_t uploaded_ = 0;
};

}  // namespace bh::sim
