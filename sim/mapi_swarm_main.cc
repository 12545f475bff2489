// mapi-swarm: many Outlook sessions from one process, held open, for scale and memory tests
// (bench/mapi_memory.sh). Each session is outlook-sim's OutlookClient: ept_map, three EMSMDB
// connections of one association group (EMSMDB, EMSMDB, AsyncEMSMDB), EcDoConnectEx, RopLogon,
// so the PDUs are exactly outlook-sim's. Phases, each ended by SIGUSR1 (SIGTERM/SIGINT skip to
// the end):
//   1. open: every session opens and stays connected: "phase=open ready sessions=S ...".
//   2. work (with --work-size): every session reads one whole attachment of that size (every
//      byte checked) and stays connected: "phase=work ready ...".
//   3. read-ahead (with --read-ahead-sessions K): the first K sessions open an attachment stream
//      of --read-ahead-size and read one RopReadStream chunk, leaving the stream open (an
//      accelerator's read-ahead for it stays buffered): "phase=read-ahead ready ...".
//   Then EcDoDisconnect on every session and exit (1 if anything failed). A phase that fails
//   skips to the end.
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sim/content.h"
#include "sim/outlook_client.h"

using namespace bh::sim;

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: mapi-swarm --server ADDR [--connections N] [--threads T]\n"
               "                  [--client-version 2007] [--mailbox-messages N]\n"
               "                  [--attachment-sizes S,S...] [--work-size SIZE]\n"
               "                  [--read-ahead-size SIZE --read-ahead-sessions K]\n"
               "N connections (3 per session, default 2000); SIZE: bytes or 1MiB, 512KiB\n");
  return 2;
}

using Clock = std::chrono::steady_clock;

struct Session {
  std::unique_ptr<OutlookClient> client;
  bool open = false;
};

/// Runs fn(i) for i in [0, n) on `threads` threads; returns how many returned false.
template <typename Fn>
size_t forAll(size_t n, size_t threads, Fn fn) {
  std::atomic<size_t> next{0};
  std::atomic<size_t> failed{0};
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t i = next++; i < n; i = next++) {
        if (!fn(i)) {
          ++failed;
        }
      }
    });
  }
  for (auto& t : pool) {
    t.join();
  }
  return failed;
}

std::mutex gPrint;

void report(size_t i, const std::string& what) {
  std::lock_guard<std::mutex> l(gPrint);
  std::fprintf(stderr, "mapi-swarm: session %zu: %s\n", i, what.c_str());
}

/// Waits for SIGUSR1 (next phase: true) or SIGTERM/SIGINT (finish: false).
bool waitNextPhase(const sigset_t& set) {
  int sig = 0;
  sigwait(&set, &sig);
  return sig == SIGUSR1;
}

}  // namespace

int main(int argc, char** argv) {
  OutlookOptions options;
  options.clientVersion = "2007";
  size_t connections = 2000;
  size_t threads = 8;
  uint64_t workSize = 0;
  uint64_t readAheadSize = 0;
  size_t readAheadSessions = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) {
      return usage();
    }
    std::string v = argv[++i];
    if (a == "--server") {
      options.server = v;
    } else if (a == "--connections") {
      connections = std::strtoul(v.c_str(), nullptr, 10);
    } else if (a == "--threads") {
      threads = std::strtoul(v.c_str(), nullptr, 10);
    } else if (a == "--client-version") {
      options.clientVersion = v;
    } else if (a == "--mailbox-messages") {
      options.mailboxMessages = std::strtoul(v.c_str(), nullptr, 10);
    } else if (a == "--attachment-sizes") {
      options.attachmentSizes.clear();
      for (size_t start = 0; start <= v.size();) {
        size_t end = v.find(',', start);
        end = end == std::string::npos ? v.size() : end;
        uint64_t s = parseSize(v.substr(start, end - start));
        if (s == 0) {
          return usage();
        }
        options.attachmentSizes.push_back(s);
        start = end + 1;
      }
    } else if (a == "--work-size") {
      workSize = parseSize(v);
    } else if (a == "--read-ahead-size") {
      readAheadSize = parseSize(v);
    } else if (a == "--read-ahead-sessions") {
      readAheadSessions = std::strtoul(v.c_str(), nullptr, 10);
    } else {
      return usage();
    }
  }
  if (options.server.empty() || connections == 0 || threads == 0 ||
      (readAheadSessions > 0 && readAheadSize == 0)) {
    return usage();
  }
  // Every thread inherits the blocked set; the main thread takes the signals with sigwait.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  const size_t n = (connections + 2) / 3;
  std::vector<Session> sessions(n);
  // Runs one phase on sessions [0, k); prints "phase=NAME ready|failed ..."; false if any failed.
  auto phase = [&](const char* name, size_t k, auto fn) {
    auto t0 = Clock::now();
    size_t bad = forAll(k, threads, [&](size_t i) {
      std::string what;
      if (!fn(sessions[i], what)) {
        report(i, std::string(name) + ": " + what);
        return false;
      }
      return true;
    });
    size_t open = 0;
    for (const auto& s : sessions) {
      open += s.open ? 1 : 0;
    }
    std::printf(
        "phase=%s %s sessions=%zu open_sessions=%zu connections=%zu failed=%zu "
        "seconds=%.1f\n",
        name, bad == 0 ? "ready" : "failed", k, open, open * 3, bad,
        std::chrono::duration<double>(Clock::now() - t0).count());
    std::fflush(stdout);
    return bad == 0;
  };
  bool ok = phase("open", n, [&](Session& s, std::string& what) {
    s.client = std::make_unique<OutlookClient>(options);
    std::vector<OpReport> reports;
    if (!s.client->open(reports, &what)) {
      return false;
    }
    s.open = true;
    return true;
  });
  bool more = ok && waitNextPhase(set);
  if (more && workSize != 0) {
    ok = phase("work", n, [&](Session& s, std::string& what) {
      OpReport r;
      bool good = s.client->openAttachment(workSize, r);
      what = r.detail;
      return good;
    });
    more = ok && waitNextPhase(set);
  }
  if (more && readAheadSessions > 0) {
    ok = phase("read-ahead", std::min(readAheadSessions, n), [&](Session& s, std::string& what) {
      OpReport r;
      bool good = s.client->readStart(readAheadSize, 1, r);
      what = r.detail;
      return good;
    });
    more = ok && waitNextPhase(set);
  }
  size_t open = 0;
  for (const auto& s : sessions) {
    open += s.open ? 1 : 0;
  }

  size_t closeFailed = forAll(n, threads, [&](size_t i) {
    if (!sessions[i].open) {
      return true;
    }
    OpReport r;
    if (!sessions[i].client->close(r)) {
      report(i, "disconnect: " + r.detail);
      return false;
    }
    return true;
  });
  std::printf("phase=closed disconnected=%zu failed=%zu\n", open - closeFailed, closeFailed);
  return ok && closeFailed == 0 ? 0 : 1;
}
