#pragma once

// Debian's `openssl ocsp -index` responder for tests (secure/ and proxy/wan_secure/): the CA
// database it reads, the process, and a wait until it listens that never connects to it
// (`openssl ocsp -ignore_err` of OpenSSL 3.0.x spins at 100% CPU after a connection that sends no
// request). It reads its index before it waits for the next connection, so a change is seen one
// request late: tests either write the index before starting it or restart it.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace bh::secure::test {

/// One line of the CA database (`openssl ca`'s index.txt).
struct OcspIndexEntry {
  long serial;
  bool revoked = false;
  std::string subject = "/CN=peer";
};

inline std::string asn1Time(time_t t) {
  char buf[32];
  struct tm tm {};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%y%m%d%H%M%SZ", &tm);
  return buf;
}

/// Writes dir/index.txt: status, expiry, revocation time, serial (hex), file, subject. Through a
/// new file (a new inode), so a running responder sees a change.
inline void writeOcspIndex(const std::filesystem::path& dir,
                           const std::vector<OcspIndexEntry>& entries) {
  time_t now = std::time(nullptr);
  {
    std::ofstream f(dir / "index.txt.new");
    for (const auto& e : entries) {
      char serial[32];
      std::snprintf(serial, sizeof serial, "%lX", e.serial);
      std::string hex = serial;
      if (hex.size() % 2 != 0) {
        hex = "0" + hex;
      }
      f << (e.revoked ? "R" : "V") << '\t' << asn1Time(now + 86400) << '\t'
        << (e.revoked ? asn1Time(now - 60) : "") << '\t' << hex << "\tunknown\t" << e.subject
        << '\n';
    }
  }
  std::filesystem::rename(dir / "index.txt.new", dir / "index.txt");
}

/// True if this thread's network namespace has a TCP socket in LISTEN (0A) on `port`
/// (/proc/thread-self: a test thread may have a namespace of its own).
inline bool isListening(uint16_t port) {
  char want[8];
  std::snprintf(want, sizeof want, ":%04X", port);
  for (const char* f : {"/proc/thread-self/net/tcp", "/proc/thread-self/net/tcp6"}) {
    std::ifstream in(f);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string sl, local, remote, st;
      ls >> sl >> local >> remote >> st;
      if (local.size() > 5 && local.substr(local.size() - 5) == want && st == "0A") {
        return true;
      }
    }
  }
  return false;
}

/// `openssl ocsp -index dir/index.txt -port PORT` signing with `signer`/`signerKey` for the CA
/// `ca`, nextUpdate `nmin` minutes ahead; stopped when destroyed.
struct OpensslOcspResponder {
  pid_t pid = -1;

  /// Starts it and waits (up to 5 s) until it listens; false if it did not.
  bool start(const std::filesystem::path& dir, uint16_t port, const std::filesystem::path& ca,
             const std::filesystem::path& signer, const std::filesystem::path& signerKey,
             int nmin = 1) {
    std::string idx = (dir / "index.txt").string(), portText = std::to_string(port),
                caText = ca.string(), sp = signer.string(), sk = signerKey.string(),
                n = std::to_string(nmin);
    const char* argv[] = {"openssl", "ocsp",           "-index",      idx.c_str(),
                          "-port",   portText.c_str(), "-rsigner",    sp.c_str(),
                          "-rkey",   sk.c_str(),       "-CA",         caText.c_str(),
                          "-nmin",   n.c_str(),        "-ignore_err", nullptr};
    posix_spawn_file_actions_t quiet;
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
    int spawned =
        ::posix_spawnp(&pid, "openssl", &quiet, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&quiet);
    if (spawned != 0) {
      pid = -1;
      return false;
    }
    for (int i = 0; i < 100; ++i) {
      if (isListening(port)) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  void stop() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
      pid = -1;
    }
  }
  ~OpensslOcspResponder() { stop(); }
};

}  // namespace bh::secure::test
