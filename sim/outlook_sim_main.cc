// outlook-sim: an Outlook-like EMSMDB client for the lab. Prints one line per operation
// ("op=NAME seconds=S bytes=N calls=C sha256=H ok=0|1") and exits non-zero if anything it read
// differs from what the server holds.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/heap_tuning.h"
#include "secure/kerberos/gss_credential.h"
#include "sim/content.h"
#include "sim/key_log.h"
#include "sim/outlook_client.h"

using namespace bh::sim;
using bh::secure::kerberos::GssCredential;
using bh::secure::kerberos::GssStatus;

namespace {

int usage() {
  std::fprintf(
      stderr,
      "usage: outlook-sim --server ADDR\n"
      "                   [--client-version 97|2000|2003|2007|2010|2013|2016|future]\n"
      "                   [--epm-port P] [--mailbox-messages N] [--folder-messages N]\n"
      "                   [--auth ntlm] [--no-xor] [--no-compression] [--commit-on-main]\n"
      "                   [--attachment-sizes S,S...] [--record DIR] [--hold FILE]\n"
      "                   [--ui-call-every N]\n"
      "                   [--kerberos PRINCIPAL (--password-file F | --keytab F) [--spn SPN]\n"
      "                    [--spnego] [--integrity] [--key-log FILE] [--bad-verifier-call N]]\n"
      "                   open-attachment SIZE | save-attachment SIZE | read-seek SIZE |\n"
      "                   preview-attachment SIZE | sync [FOLDER] | browse\n"
      "--hold FILE: after the workload print its line, then keep the session open until FILE\n"
      "  exists (a test looks at the open session and then creates FILE; at most 600 s)\n"
      "--ui-call-every: save-attachment sends RopGetPropertiesAll on the message on the\n"
      "  main connection after every N RopWriteStream calls (0, the default: none)\n"
      "--kerberos: EMSMDB and AsyncEMSMDB bound with Kerberos (auth_type 16) at packet\n"
      "  privacy, the ticket for SPN (default exchangeMDB/<--server>) from the realm's KDC\n"
      "  (KRB5_CONFIG); exchange-sim --keytab accepts it. --spnego: through SPNEGO (auth_type\n"
      "  9, the third leg in alter_context); --integrity: packet integrity (MIC tokens)\n"
      "--key-log FILE (test tool): each association's session key and, at exit, the ticket\n"
      "  session keys, in hex, into FILE (0600), so a test can look for them where they must\n"
      "  not be (captures, logs)\n"
      "--bad-verifier-call N (test tool): the Nth sealed call of the session (from 1, over\n"
      "  its connections) is sent with its verifier's last byte flipped\n"
      "FOLDER: a folder's display name (default the Inbox; Projects with --folder-messages)\n"
      "SIZE: bytes or 10MiB, 50MiB, 512KiB\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bh::keepFreedHeap();
  OutlookOptions options;
  std::vector<std::string> workload;
  std::string holdFlag;
  std::string kerberosPrincipal;
  std::string passwordFile;
  std::string keytab;
  std::string keyLogPath;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool hasNext = i + 1 < argc;
    if (a == "--server" && hasNext) {
      options.server = argv[++i];
    } else if (a == "--client-version" && hasNext) {
      options.clientVersion = argv[++i];
    } else if (a == "--epm-port" && hasNext) {
      options.epmPort = static_cast<uint16_t>(std::atoi(argv[++i]));
    } else if (a == "--mailbox-messages" && hasNext) {
      options.mailboxMessages = std::strtoul(argv[++i], nullptr, 10);
    } else if (a == "--folder-messages" && hasNext) {
      options.folderMessages = std::strtoul(argv[++i], nullptr, 10);
    } else if (a == "--attachment-sizes" && hasNext) {
      options.attachmentSizes.clear();
      std::string list = argv[++i];
      for (size_t start = 0; start <= list.size();) {
        size_t end = list.find(',', start);
        end = end == std::string::npos ? list.size() : end;
        uint64_t v = parseSize(list.substr(start, end - start));
        if (v == 0) {
          return usage();
        }
        options.attachmentSizes.push_back(v);
        start = end + 1;
      }
    } else if (a == "--record" && hasNext) {
      options.recordDir = argv[++i];
    } else if (a == "--auth" && hasNext) {
      if (std::string(argv[++i]) != "ntlm") {
        return usage();
      }
      options.ntlmConnect = true;
    } else if (a == "--kerberos" && hasNext) {
      kerberosPrincipal = argv[++i];
    } else if (a == "--password-file" && hasNext) {
      passwordFile = argv[++i];
    } else if (a == "--keytab" && hasNext) {
      keytab = argv[++i];
    } else if (a == "--spnego") {
      options.kerberosOptions.spnego = true;
    } else if (a == "--integrity") {
      options.kerberosOptions.integrity = true;
    } else if (a == "--key-log" && hasNext) {
      keyLogPath = argv[++i];
    } else if (a == "--bad-verifier-call" && hasNext) {
      char* end = nullptr;
      unsigned long n = std::strtoul(argv[++i], &end, 10);
      if (end == argv[i] || *end != '\0' || n == 0 || n > 0xffffffffUL) {
        return usage();
      }
      options.badVerifierCall = static_cast<uint32_t>(n);
    } else if (a == "--spn" && hasNext) {
      options.kerberosTarget = argv[++i];
    } else if (a == "--hold" && hasNext) {
      holdFlag = argv[++i];
    } else if (a == "--ui-call-every" && hasNext) {
      char* end = nullptr;
      unsigned long n = std::strtoul(argv[++i], &end, 10);
      if (end == argv[i] || *end != '\0' || n > 0xffffffffUL) {
        return usage();
      }
      options.uiCallEvery = static_cast<uint32_t>(n);
    } else if (a == "--commit-on-main") {
      options.commitOnMain = true;
    } else if (a == "--no-xor") {
      options.noXor = true;
    } else if (a == "--no-compression") {
      options.noCompression = true;
    } else if (!a.empty() && a[0] == '-') {
      return usage();
    } else {
      workload.push_back(a);
    }
  }
  if (options.server.empty() || workload.empty()) {
    return usage();
  }
  const std::string& op = workload[0];
  uint64_t size = 0;
  if (op == "open-attachment" || op == "save-attachment" || op == "read-seek" ||
      op == "preview-attachment") {
    if (workload.size() != 2 || (size = parseSize(workload[1])) == 0) {
      return usage();
    }
  } else if (op == "sync") {
    if (workload.size() > 2) {
      return usage();
    }
  } else if (op != "browse" || workload.size() != 1) {
    return usage();
  }
  if (kerberosPrincipal.empty() && (!keyLogPath.empty() || options.badVerifierCall != 0)) {
    return usage();  // both are about sealed calls
  }
  KeyLog keyLog;
  if (!keyLogPath.empty()) {
    std::string error;
    if (!keyLog.open(keyLogPath, error)) {
      std::fprintf(stderr, "outlook-sim: --key-log %s\n", error.c_str());
      return 1;
    }
    options.keyLog = [&keyLog](const char* what, bh::ByteSpan key) { keyLog.write(what, key); };
  }
  std::unique_ptr<GssCredential> credential;
  if (!kerberosPrincipal.empty()) {
    if (passwordFile.empty() == keytab.empty()) {
      return usage();  // exactly one of --password-file and --keytab
    }
    GssStatus status;
    if (!passwordFile.empty()) {
      std::ifstream in(passwordFile);
      std::string password;
      if (!in || !std::getline(in, password)) {
        std::fprintf(stderr, "outlook-sim: cannot read %s\n", passwordFile.c_str());
        return 1;
      }
      credential = GssCredential::withPassword(kerberosPrincipal, password, status);
    } else {
      credential = GssCredential::withKeytab(kerberosPrincipal, keytab, status);
    }
    if (!credential) {
      std::fprintf(stderr, "outlook-sim: kerberos: %s\n", status.describe().c_str());
      return 1;
    }
    options.kerberos = credential.get();
    if (options.kerberosTarget.empty()) {
      options.kerberosTarget = "exchangeMDB/" + options.server;  // MS-OXCRPC: the server's FQDN
    }
  }
  OutlookClient client(options);
  std::vector<OpReport> reports;
  std::string error;
  // The tickets' session keys once the session is over, on failure too (a test that sends a
  // bad verifier still searches the capture for them).
  struct TicketKeys {
    KeyLog& log;
    const GssCredential* credential;
    ~TicketKeys() {
      if (credential != nullptr) {
        log.writeTicketSessionKeys(*credential);
      }
    }
  } ticketKeys{keyLog, credential.get()};
  if (!client.open(reports, &error)) {
    for (const auto& r : reports) {
      std::printf("%s\n", r.line().c_str());
    }
    std::fprintf(stderr, "outlook-sim: %s\n", error.c_str());
    return 1;
  }
  OpReport work;
  bool ok = op == "open-attachment"      ? client.openAttachment(size, work)
            : op == "read-seek"          ? client.readSeek(size, work)
            : op == "save-attachment"    ? client.saveAttachment(size, work)
            : op == "preview-attachment" ? client.previewAttachment(size, 2, work)
            : op == "sync" ? client.sync(work, workload.size() == 2 ? workload[1] : "")
                           : client.browse(work);
  reports.push_back(work);
  if (!holdFlag.empty()) {
    // What ran so far is printed now (a test reads it while the session is held open).
    for (const auto& r : reports) {
      std::printf("%s\n", r.line().c_str());
    }
    reports.clear();
    std::fflush(stdout);
    // The test ends the hold by creating the file (a condition, not a time); the bound only
    // keeps a failed test from leaving the sim behind.
    const auto giveUp = std::chrono::steady_clock::now() + std::chrono::seconds(600);
    while (::access(holdFlag.c_str(), F_OK) != 0) {
      if (std::chrono::steady_clock::now() > giveUp) {
        std::fprintf(stderr, "outlook-sim: %s did not appear within 600 s\n", holdFlag.c_str());
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  OpReport bye;
  ok = client.close(bye) && ok;
  reports.push_back(bye);
  for (const auto& r : reports) {
    std::printf("%s\n", r.line().c_str());
  }
  if (!ok) {
    std::fprintf(stderr, "outlook-sim: %s failed%s%s\n", op.c_str(),
                 work.detail.empty() ? "" : ": ", work.detail.c_str());
    return 1;
  }
  return 0;
}
