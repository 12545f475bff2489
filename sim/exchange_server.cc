#include "sim/exchange_server.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>

#include "mapi/dcerpc/well_known.h"
#include "mapi/epm/ept_map.h"

namespace bh::sim {

const SyntaxId& asyncEmsmdbSyntax() {
  return dcerpc::syntax::asyncEmsmdb();
}

const SyntaxId& nspiSyntax() {
  static const SyntaxId s{*dcerpc::Uuid::parse("f5cc5a18-4264-101a-8c59-08002b2f8426"), 56, 0};
  return s;
}

const SyntaxId& EpmInterface::syntax() const {
  return dcerpc::syntax::epm();
}

std::optional<Bytes> EpmInterface::call(uint16_t opnum, ByteSpan stub, const CallInfo& info,
                                        uint32_t& fault) {
  namespace epm = bh::mapi::epm;
  if (opnum != epm::kEptMapOpnum) {
    fault = kFaultOpRangeError;  // ept_insert/delete/lookup...: not offered
    return std::nullopt;
  }
  epm::EptMapRequest q;
  if (!epm::decodeEptMapRequest(stub, Endian::Little, q).ok()) {
    fault = kFaultNdr;
    return std::nullopt;
  }
  ++lookups_;
  epm::EptMapResponse r;
  r.entryHandle = q.entryHandle;
  r.maxCount = q.maxTowers;
  r.status = kEptSNotRegistered;
  std::optional<SyntaxId> asked;
  if (q.mapTower.tower && !q.mapTower.tower->floors.empty()) {
    asked = epm::uuidFloorSyntax(q.mapTower.tower->floors[0]);
  }
  if (asked && q.maxTowers > 0 &&
      (asked->uuid == dcerpc::syntax::emsmdb().uuid || asked->uuid == asyncEmsmdbSyntax().uuid ||
       asked->uuid == nspiSyntax().uuid)) {
    epm::Ipv4 addr{0, 0, 0, 0};
    in_addr a{};
    if (inet_pton(AF_INET, info.localAddress.c_str(), &a) == 1) {
      std::memcpy(addr.data(), &a, 4);
    }
    SyntaxId iface = asked->uuid == dcerpc::syntax::emsmdb().uuid ? dcerpc::syntax::emsmdb()
                     : asked->uuid == nspiSyntax().uuid           ? nspiSyntax()
                                                                  : asyncEmsmdbSyntax();
    r.towers.push_back({3, epm::tcpIpTower(iface, dcerpc::syntax::ndr(), emsmdbPort_, addr)});
    r.status = 0;
  }
  auto out = epm::encodeEptMapResponse(r, Endian::Little);
  if (!out) {
    fault = kFaultNdr;
    return std::nullopt;
  }
  return out;
}

std::optional<Bytes> EmsmdbInterface::call(uint16_t opnum, ByteSpan stub, const CallInfo&,
                                           uint32_t& fault) {
  if (syntax_ == asyncEmsmdbSyntax()) {
    fault = kFaultOpRangeError;  // EcDoAsyncWaitEx is not offered
    return std::nullopt;
  }
  return service_.call(opnum, stub, fault);
}

struct ExchangeSim::Conn {
  Socket socket;
  std::thread thread;
  std::atomic<bool> done{false};
};

ExchangeSim::ExchangeSim(ExchangeSimOptions options) : options_(std::move(options)) {
  mailbox_ = Mailbox::sample(options_.mailboxMessages, options_.attachmentSizes, {},
                             options_.folderMessages);
  service_ = std::make_unique<EmsmdbService>(*mailbox_, options_.emsmdb);
}

ExchangeSim::~ExchangeSim() {
  stop();
}

bool ExchangeSim::start(std::string* error) {
  auto emsmdb = listenTcp(options_.emsmdbPort, error);
  if (!emsmdb) {
    *error = "emsmdb port " + std::to_string(options_.emsmdbPort) + ": " + *error;
    return false;
  }
  auto epm = listenTcp(options_.epmPort, error);
  if (!epm) {
    *error = "epm port " + std::to_string(options_.epmPort) + ": " + *error;
    return false;
  }
  emsmdbListener_ = std::move(*emsmdb);
  epmListener_ = std::move(*epm);
  emsmdbPort_ = emsmdbListener_.localPort();
  epmPort_ = epmListener_.localPort();
  epm_ = std::make_unique<EpmInterface>(emsmdbPort_);
  emsmdb_ = std::make_unique<EmsmdbInterface>(*service_, dcerpc::syntax::emsmdb());
  async_ = std::make_unique<EmsmdbInterface>(*service_, asyncEmsmdbSyntax());
  epmServer_ = std::make_unique<RpcServer>(std::vector<RpcInterface*>{epm_.get()}, options_.rpc);
  emsmdbServer_ = std::make_unique<RpcServer>(
      std::vector<RpcInterface*>{emsmdb_.get(), async_.get()}, options_.rpc);
  epmThread_ = std::thread([this] { acceptLoop(epmListener_, *epmServer_); });
  emsmdbThread_ = std::thread([this] { acceptLoop(emsmdbListener_, *emsmdbServer_); });
  return true;
}

void ExchangeSim::acceptLoop(Socket& listener, RpcServer& server) {
  while (!stopping_) {
    auto s = acceptTcp(listener);
    if (!s || stopping_) {
      return;
    }
    std::lock_guard<std::mutex> l(mutex_);
    for (auto it = conns_.begin(); it != conns_.end();) {
      if ((*it)->done) {
        (*it)->thread.join();
        it = conns_.erase(it);
      } else {
        ++it;
      }
    }
    if (conns_.size() >= options_.maxConnections) {
      ++refused_;
      continue;  // the socket closes here
    }
    auto c = std::make_unique<Conn>();
    c->socket = std::move(*s);
    Conn* raw = c.get();
    c->thread = std::thread([raw, &server] {
      server.serveConnection(raw->socket);
      raw->socket.close();  // answer the client's FIN now, not at the next accept
      raw->done = true;
    });
    conns_.push_back(std::move(c));
  }
}

size_t ExchangeSim::liveConnections() {
  std::lock_guard<std::mutex> l(mutex_);
  size_t n = 0;
  for (const auto& c : conns_) {
    n += c->done ? 0 : 1;
  }
  return n;
}

void ExchangeSim::wait() {
  if (epmThread_.joinable()) {
    epmThread_.join();
  }
  if (emsmdbThread_.joinable()) {
    emsmdbThread_.join();
  }
}

void ExchangeSim::stop() {
  if (stopping_.exchange(true)) {
    return;
  }
  if (epmListener_.valid()) {
    ::shutdown(epmListener_.fd(), SHUT_RDWR);
  }
  if (emsmdbListener_.valid()) {
    ::shutdown(emsmdbListener_.fd(), SHUT_RDWR);
  }
  wait();
  std::lock_guard<std::mutex> l(mutex_);
  for (auto& c : conns_) {
    ::shutdown(c->socket.fd(), SHUT_RDWR);  // the socket stays open until its thread is joined
  }
  for (auto& c : conns_) {
    c->thread.join();
  }
  conns_.clear();
}

}  // namespace bh::sim
