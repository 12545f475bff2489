// exchange-sim: a protocol-correct Exchange for the lab. Serves the endpoint mapper on TCP 135
// and EMSMDB on a dynamic port (default 6001), both on every IPv4 and IPv6 address.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "common/heap_tuning.h"
#include "secure/kerberos/gss_dce_acceptor.h"
#include "sim/content.h"
#include "sim/exchange_server.h"

using namespace bh::sim;

namespace {

int usage() {
  std::fprintf(
      stderr,
      "usage: exchange-sim [--epm-port P] [--emsmdb-port P] [--mailbox-messages N]\n"
      "                    [--folder-messages N]\n"
      "                    [--attachment-sizes 10MiB,50MiB]\n"
      "                    [--auth ntlm|kerberos --level integrity|privacy]\n"
      "                    [--keytab FILE]  (Kerberos and SPNEGO binds at packet privacy or\n"
      "                                      integrity accepted with the service account's\n"
      "                                      keys, calls sealed or signed)\n"
      "                    [--max-connections N]  (live connections and sessions; 1024)\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bh::keepFreedHeap();
  ExchangeSimOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) {
      return usage();
    }
    std::string v = argv[++i];
    if (a == "--epm-port") {
      options.epmPort = static_cast<uint16_t>(std::atoi(v.c_str()));
    } else if (a == "--emsmdb-port") {
      options.emsmdbPort = static_cast<uint16_t>(std::atoi(v.c_str()));
    } else if (a == "--mailbox-messages") {
      options.mailboxMessages = std::strtoul(v.c_str(), nullptr, 10);
    } else if (a == "--folder-messages") {
      options.folderMessages = std::strtoul(v.c_str(), nullptr, 10);
    } else if (a == "--attachment-sizes") {
      options.attachmentSizes.clear();
      for (size_t start = 0; start <= v.size();) {
        size_t end = v.find(',', start);
        end = end == std::string::npos ? v.size() : end;
        uint64_t size = parseSize(v.substr(start, end - start));
        if (size == 0) {
          return usage();
        }
        options.attachmentSizes.push_back(size);
        start = end + 1;
      }
    } else if (a == "--max-connections") {
      options.maxConnections = std::strtoul(v.c_str(), nullptr, 10);
      options.emsmdb.maxSessions = options.maxConnections;
      if (options.maxConnections == 0) {
        return usage();
      }
    } else if (a == "--auth" && (v == "ntlm" || v == "kerberos")) {
      options.rpc.acceptAuth = v == "ntlm" ? AuthType::Ntlm : AuthType::Kerberos;
    } else if (a == "--keytab") {
      options.rpc.acceptAuth = AuthType::Kerberos;
      options.rpc.acceptLevel = AuthLevel::PktPrivacy;
      options.rpc.kerberosAcceptor = [v] {
        return std::make_unique<bh::secure::kerberos::GssDceAcceptor>(v);
      };
      options.rpc.spnegoAcceptor = [v] {
        return std::make_unique<bh::secure::kerberos::GssDceAcceptor>(v, true);
      };
    } else if (a == "--level" && (v == "integrity" || v == "privacy")) {
      options.rpc.acceptLevel = v == "privacy" ? AuthLevel::PktPrivacy : AuthLevel::PktIntegrity;
    } else {
      return usage();
    }
  }
  ExchangeSim sim(options);
  std::string error;
  if (!sim.start(&error)) {
    std::fprintf(stderr, "exchange-sim: %s\n", error.c_str());
    return 1;
  }
  std::printf("exchange-sim: epm port %u, emsmdb port %u, %zu small messages, %zu in %s\n",
              sim.epmPort(), sim.emsmdbPort(), options.mailboxMessages, options.folderMessages,
              kBulkFolderName);
  std::fflush(stdout);
  sim.wait();
  return 0;
}
