#pragma once

// exchange-sim's RPC interfaces: the endpoint mapper (ept_map, opnum 3, answering EMSMDB,
// AsyncEMSMDB and NSPI with a tower carrying the address the client connected to and the
// EMSMDB port), and EMSMDB itself (EmsmdbService behind the RPC layer). Also the accept loops.

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sim/emsmdb_service.h"
#include "sim/rpc.h"

namespace bh::sim {

inline constexpr uint32_t kEptSNotRegistered = 0x16c9a0d6;  // EPT_S_NOT_REGISTERED

/// AsyncEMSMDB v0.1 and NSPI v56.0 (MS-OXCRPC 1.9, MS-OXNSPI 1.9).
const SyntaxId& asyncEmsmdbSyntax();
const SyntaxId& nspiSyntax();

class EpmInterface : public RpcInterface {
 public:
  explicit EpmInterface(uint16_t emsmdbPort) : emsmdbPort_(emsmdbPort) {}
  const SyntaxId& syntax() const override;
  std::optional<Bytes> call(uint16_t opnum, ByteSpan stub, const CallInfo& info,
                            uint32_t& fault) override;
  uint64_t lookups() const { return lookups_; }

 private:
  uint16_t emsmdbPort_;
  std::atomic<uint64_t> lookups_{0};
};

class EmsmdbInterface : public RpcInterface {
 public:
  EmsmdbInterface(EmsmdbService& service, const SyntaxId& syntax)
      : service_(service), syntax_(syntax) {}
  const SyntaxId& syntax() const override { return syntax_; }
  std::optional<Bytes> call(uint16_t opnum, ByteSpan stub, const CallInfo& info,
                            uint32_t& fault) override;

 private:
  EmsmdbService& service_;
  SyntaxId syntax_;
};

struct ExchangeSimOptions {
  uint16_t epmPort = 135;
  uint16_t emsmdbPort = 6001;  ///< 0 picks a free port
  size_t mailboxMessages = 20;
  size_t folderMessages = 0;  ///< small messages in the folder kBulkFolderName (0: no folder)
  std::vector<uint64_t> attachmentSizes = {10u << 20, 50u << 20};
  RpcServerOptions rpc;
  EmsmdbLimits emsmdb;
  size_t maxConnections = 1024;  ///< live connections; more are closed at accept
};

/// The whole simulator: mailbox, EMSMDB service, EPM and EMSMDB listeners, a thread per
/// connection. stop() (or the destructor) shuts every socket down and joins every thread.
class ExchangeSim {
 public:
  explicit ExchangeSim(ExchangeSimOptions options);
  ~ExchangeSim();
  bool start(std::string* error);
  void stop();
  /// Blocks until stop() from another thread.
  void wait();
  uint16_t epmPort() const { return epmPort_; }
  uint16_t emsmdbPort() const { return emsmdbPort_; }
  EmsmdbService& service() { return *service_; }
  Mailbox& mailbox() { return *mailbox_; }
  size_t liveConnections();
  uint64_t refusedConnections() const { return refused_; }

 private:
  struct Conn;
  void acceptLoop(Socket& listener, RpcServer& server);

  ExchangeSimOptions options_;
  std::unique_ptr<Mailbox> mailbox_;
  std::unique_ptr<EmsmdbService> service_;
  std::unique_ptr<EpmInterface> epm_;
  std::unique_ptr<EmsmdbInterface> emsmdb_;
  std::unique_ptr<EmsmdbInterface> async_;
  std::unique_ptr<RpcServer> epmServer_;
  std::unique_ptr<RpcServer> emsmdbServer_;
  Socket epmListener_;
  Socket emsmdbListener_;
  uint16_t epmPort_ = 0;
  uint16_t emsmdbPort_ = 0;
  std::thread epmThread_;
  std::thread emsmdbThread_;
  std::mutex mutex_;
  std::list<std::unique_ptr<Conn>> conns_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> refused_{0};
};

}  // namespace bh::sim
