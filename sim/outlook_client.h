#pragma once

// outlook-sim's client: resolves EMSMDB through the endpoint mapper, opens the connections of
// one association group as Outlook does, EcDoConnectEx with the client's version triple,
// RopLogon, then runs a workload with the ROPs Outlook uses (MS-OXCROPS) and checks every byte
// it reads against the deterministic mailbox it predicts (sim/mailbox.h).

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/oxcrpc.h"
#include "sim/rops.h"
#include "sim/rpc.h"

namespace bh::sim {

class Sha256;

struct OutlookOptions {
  std::string server;
  std::string clientVersion = "2016";
  size_t mailboxMessages = 20;  ///< must match exchange-sim's --mailbox-messages
  size_t folderMessages = 0;    ///< and its --folder-messages
  std::vector<uint64_t> attachmentSizes = {10u << 20, 50u << 20};  ///< and its sample sizes
  uint16_t epmPort = 135;
  /// Connect EMSMDB here instead of the port the endpoint mapper hands out (tests that put
  /// a relay in between).
  uint16_t emsmdbPortOverride = 0;
  uint32_t readStreamBytes = 31744;
  uint16_t getBufferBytes = 31680;
  bool noXor = false;          ///< pulFlags NoXorMagic
  bool noCompression = false;  ///< pulFlags NoCompression
  /// save-attachment commits the stream on the main connection, not the bulk one it wrote on
  /// (the session is the same: a client may, and an accelerator must keep the order).
  bool commitOnMain = false;
  /// save-attachment: after every this many RopWriteStream calls on the bulk connection, one
  /// call on the main connection with RopGetPropertiesAll on the message being saved, as
  /// Outlook's UI reads while a save streams (0: none).
  uint32_t uiCallEvery = 0;
  /// The EMSMDB binds authenticate with NTLM at RPC_C_AUTHN_LEVEL_CONNECT (exchange-sim
  /// --auth ntlm); the endpoint mapper stays anonymous.
  bool ntlmConnect = false;
  /// The EMSMDB and AsyncEMSMDB binds authenticate with Kerberos at packet privacy with this
  /// credential's ticket for `kerberosTarget` (exchange-sim --keytab); it outlives the client.
  const secure::kerberos::GssCredential* kerberos = nullptr;
  std::string kerberosTarget;
  /// SPNEGO (auth_type 9, four legs) instead of Kerberos' 16; packet integrity instead of
  /// privacy (outlook-sim --spnego, --integrity).
  secure::kerberos::GssDceOptions kerberosOptions;
  /// Test tools: each Kerberos association's key once it is bound (RpcClient::setKeyLog).
  std::function<void(const char* what, ByteSpan key)> keyLog;
  /// Test tools: the Nth sealed call of the session (counted over its connections from 1; 0:
  /// none) goes out with a verifier that cannot check (RpcClient::setCorruptVerifier).
  uint32_t badVerifierCall = 0;
  /// Sees every ROP request buffer and its response buffer (RopSize .. handle table), for
  /// tests that cross-check them with another codec.
  std::function<void(ByteSpan request, ByteSpan response)> ropTrace;
  /// When set, close() writes each connection's bytes to DIR/<conn>.client.bin and
  /// DIR/<conn>.server.bin (conn: epm, main, bulk, async).
  std::string recordDir;
};

/// One timed operation, printed as "op=NAME seconds=S bytes=N calls=C sha256=H ok=1"; with
/// "ui_calls=K ui_max=S" after calls= when the operation made UI calls on the main connection.
struct OpReport {
  std::string name;
  double seconds = 0;
  uint64_t bytes = 0;
  uint64_t calls = 0;
  /// UI calls made during the operation (OutlookOptions::uiCallEvery) and the slowest's time.
  uint64_t uiCalls = 0;
  double uiMaxSeconds = 0;
  std::string sha256;
  bool ok = false;
  std::string detail;
  std::string line() const;
};

/// rgwClientVersion for an Outlook generation (MS-OXCRPC 3.1.4.1.3); nullopt if unknown.
std::optional<std::array<uint16_t, 3>> clientVersionTriple(const std::string& generation);

class OutlookClient {
 public:
  explicit OutlookClient(OutlookOptions options) : options_(std::move(options)) {}

  /// EPM lookup, binds, EcDoConnectEx, RopLogon. Appends its operations to `reports`.
  bool open(std::vector<OpReport>& reports, std::string* error);
  bool openAttachment(uint64_t size, OpReport& report);
  bool saveAttachment(uint64_t size, OpReport& report);
  /// Reads an attachment stream, then moves around in it (RopSeekStream from the current
  /// position backwards, from the start, from the end) reading after each move; every byte
  /// is checked against the content generator at the position the client believes it is at.
  bool readSeek(uint64_t size, OpReport& report);
  /// ICS contents download of the Inbox, or of the folder named `folder` (found by display
  /// name in the IPM subtree's hierarchy table, as Outlook walks it).
  bool sync(OpReport& report, const std::string& folder = "");
  bool browse(OpReport& report);
  /// Opens an attachment stream and reads its first `chunks` RopReadStream chunks (every byte
  /// checked against the generator), then leaves the stream open: a read the user started and
  /// has not finished, so an accelerator's read-ahead for it stays buffered. EcDoDisconnect
  /// (close) ends it with the session.
  bool readStart(uint64_t size, int chunks, OpReport& report);
  /// The preview pane: reads the first `chunks` chunks of an attachment stream (on the bulk
  /// connection, checked), then releases stream, attachment and message on the main connection,
  /// as Outlook closes what it previewed. An accelerator's read-ahead of the rest must go.
  bool previewAttachment(uint64_t size, int chunks, OpReport& report);
  /// EcDoDisconnect.
  bool close(OpReport& report);

  uint16_t emsmdbPort() const { return emsmdbPort_; }
  uint32_t assocGroup() const { return assocGroup_; }
  /// Bytes received on the EMSMDB connections so far (PDUs as on the wire).
  uint64_t emsmdbBytesReceived() const {
    return main_.bytesReceived() + bulk_.bytesReceived() + async_.bytesReceived();
  }

 private:
  /// readStart and previewAttachment: the first `chunks` chunks, then (`release`) the
  /// stream, attachment and message released on the main connection.
  bool readFirstChunks(uint64_t size, int chunks, bool release, OpReport& report);
  struct RopResult {
    ByteReader rops{ByteSpan()};
    Bytes payload;
    std::vector<uint32_t> handles;
  };
  /// One EcDoRpcExt2 on `conn`: sends the ROP list with the handle table, returns the response
  /// ROPs and handle table.
  bool rpc(RpcClient& conn, const Bytes& ropList, std::vector<uint32_t> handles, RopResult& out,
           std::string* error);
  bool openFolder(uint64_t fid, uint32_t& handle, std::string* error);
  /// Contents table rows of `folderHandle` with `columns`.
  bool contentsRows(uint32_t folderHandle, const std::vector<uint32_t>& columns,
                    std::vector<std::vector<rops::Value>>& rows, std::string* error);
  /// Rows of the table `tableRop` (RopGetContentsTable or RopGetHierarchyTable) opens.
  bool tableRows(uint32_t folderHandle, uint8_t tableRop, const std::vector<uint32_t>& columns,
                 std::vector<std::vector<rops::Value>>& rows, std::string* error);
  /// The FID of the folder whose PidTagDisplayName is `name`, from the IPM subtree's
  /// hierarchy table.
  bool findFolder(const std::string& name, uint64_t& fid, std::string* error);
  bool findMessage(uint64_t fid, const std::string& subject, uint64_t& mid, std::string* error);
  /// RopOpenMessage + RopOpenAttachment + RopGetPropertiesSpecific (size, content hash) +
  /// RopOpenStream in one call; `handles` ends with the stream's.
  bool openAttachmentStream(uint64_t size, uint64_t inbox, uint64_t mid,
                            std::vector<uint32_t>& handles, std::vector<rops::Value>& props,
                            std::string& detail);
  /// The user opens the attachment of `size` of a message already listed: finds the message
  /// (not timed: that is browsing), then `started`/`callsBefore` mark the operation's start and
  /// the stream is opened. `handles`/`props` as openAttachmentStream; `report.detail` on failure.
  bool openListedAttachment(uint64_t size, std::chrono::steady_clock::time_point& started,
                            uint64_t& callsBefore, std::vector<uint32_t>& handles,
                            std::vector<rops::Value>& props, OpReport& report);
  /// One RopReadStream of up to `chunk` bytes at `pos` of the attachment of `size`, checked
  /// byte for byte against the generator; `pos` advances, `n` is what came.
  bool readCheckedChunk(uint32_t stream, uint64_t size, uint32_t chunk, uint64_t& pos, uint16_t& n,
                        std::string& detail);
  bool release(std::vector<uint32_t> handles);
  /// sync's first call: RopOpenFolder of `fid`, RopSynchronizationConfigure on it and the
  /// initial ICS state, chained; `folder` is set once the folder is open and `fx` once the
  /// synchronization context exists (the caller releases both).
  bool configureContentsDownload(uint64_t fid, uint32_t& folder, uint32_t& fx, std::string& detail);
  /// RopFastTransferSourceGetBuffer on `fx` until Done; the stream's bytes go to `hash`.
  bool readFastTransferStream(uint32_t fx, Sha256& hash, uint64_t& got, std::string& detail);
  /// The UI's call during a save: RopGetPropertiesAll on `message` (the message `mid`) on the
  /// main connection, its answer checked; counted in `report` with its duration.
  bool uiCall(uint32_t message, uint64_t mid, OpReport& report);

  OutlookOptions options_;
  RpcClient epm_;
  RpcClient main_;   ///< EcDoConnectEx, logon, browse
  RpcClient bulk_;   ///< stream and FastTransfer ROPs
  RpcClient async_;  ///< AsyncEMSMDB, bound and idle as Outlook keeps it
  struct Recording {
    Bytes client;
    Bytes server;
  };
  std::map<std::string, Recording> recordings_;
  void record(RpcClient& conn, const std::string& name);
  bool writeRecordings();
  uint16_t emsmdbPort_ = 0;
  uint32_t assocGroup_ = 0;
  uint32_t sealedCalls_ = 0;  ///< sealed calls sent so far (OutlookOptions::badVerifierCall)
  oxcrpc::Cxh cxh_{};
  uint32_t logon_ = 0;
  std::array<uint64_t, 13> folderIds_{};
  uint64_t calls_ = 0;
};

}  // namespace bh::sim
