// bh-wanem: the lab's WAN emulator. Runs on the lab's wan node, takes every forwarded packet
// from NFQUEUE (both directions), holds it for the one-way delay and drops a configured share,
// then releases it; tc tbf on the wan node's interfaces limits the rate. It fails closed: the
// iptables rule has no --queue-bypass, so if this process dies the WAN stops, and bhlab says
// so, rather than the lab silently turning into a LAN (lab-kernel-recipes.md).
// glibc's network headers first, then the kernel's (they defer to glibc's definitions).
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

extern "C" {
#include <libnetfilter_queue/libnetfilter_queue.h>
}

#include "lab/delay_line.h"
#include "lab/tls_tamper.h"

namespace {

volatile sig_atomic_t stopRequested = 0;
volatile sig_atomic_t tamperRequested = 0;

void onStop(int) {
  stopRequested = 1;
}

void onTamper(int) {
  tamperRequested = 1;
}

uint64_t nowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

struct Counters {
  uint64_t received = 0;
  uint64_t droppedLoss = 0;
  uint64_t droppedOverflow = 0;
};

struct Emulator {
  bh::lab::DelayLine line;
  bh::lab::LossModel loss;
  Counters counters;
  nfq_q_handle* queue = nullptr;
  // `bhlab tamper`: one plan at a time; the packets' bytes are copied only while it is active.
  std::unique_ptr<bh::lab::RecordTamper> tamper;
  uint64_t tamperPlans = 0;
  uint64_t tampered = 0;
  uint64_t droppedTamper = 0;
  bool reportChanged = false;
};

int onPacket(nfq_q_handle* qh, nfgenmsg*, nfq_data* nfa, void* data) {
  auto* em = static_cast<Emulator*>(data);
  nfqnl_msg_packet_hdr* ph = nfq_get_msg_packet_hdr(nfa);
  if (ph == nullptr) {
    return 0;
  }
  uint32_t id = ntohl(ph->packet_id);
  ++em->counters.received;
  if (em->tamper && em->tamper->active()) {
    unsigned char* bytes = nullptr;
    int n = nfq_get_payload(nfa, &bytes);
    if (n > 0) {
      size_t length = static_cast<size_t>(n);
      std::string before = em->tamper->report();
      bh::lab::TamperVerdict v = em->tamper->onPacket(bytes, length);
      em->reportChanged = em->reportChanged || before != em->tamper->report();
      if (v == bh::lab::TamperVerdict::Drop) {
        ++em->droppedTamper;
        return nfq_set_verdict(qh, id, NF_DROP, 0, nullptr);
      }
      if (v == bh::lab::TamperVerdict::AcceptMangled) {
        // Released at once with its new bytes (it overtakes the packets still in the delay
        // line; TCP puts them in order again).
        ++em->tampered;
        return nfq_set_verdict(qh, id, NF_ACCEPT, static_cast<uint32_t>(length), bytes);
      }
    }
  }
  if (em->loss.drop()) {
    ++em->counters.droppedLoss;
    return nfq_set_verdict(qh, id, NF_DROP, 0, nullptr);
  }
  if (!em->line.push(id, nowNs())) {
    ++em->counters.droppedOverflow;
    return nfq_set_verdict(qh, id, NF_DROP, 0, nullptr);
  }
  return 0;
}

void writeStats(const std::string& path, const Emulator& em) {
  if (path.empty()) {
    return;
  }
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) {
    return;
  }
  std::fprintf(f,
               "{\"received\":%llu,\"dropped_loss\":%llu,\"dropped_overflow\":%llu,"
               "\"released\":%llu,\"queued\":%zu,\"max_depth\":%zu,\"tamper_plans\":%llu,"
               "\"tampered\":%llu,\"dropped_tamper\":%llu,\"tamper\":\"%s\"}\n",
               static_cast<unsigned long long>(em.counters.received),
               static_cast<unsigned long long>(em.counters.droppedLoss),
               static_cast<unsigned long long>(em.counters.droppedOverflow),
               static_cast<unsigned long long>(em.line.releasedTotal()), em.line.size(),
               em.line.maxDepth(), static_cast<unsigned long long>(em.tamperPlans),
               static_cast<unsigned long long>(em.tampered),
               static_cast<unsigned long long>(em.droppedTamper),
               em.tamper ? em.tamper->report().c_str() : "none");
  std::fclose(f);
  std::rename(tmp.c_str(), path.c_str());
}

// SIGUSR1: the plan in the control file (`bhlab tamper`) replaces any earlier one; the queue
// copies whole packets while a plan is active.
void armTamper(const std::string& path, Emulator& em) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  auto plan = bh::lab::parseTamperPlan(text.str());
  ++em.tamperPlans;
  if (!plan) {
    std::fprintf(stderr, "bh-wanem: tamper plan '%s' not understood\n", text.str().c_str());
    em.tamper.reset();
    return;
  }
  em.tamper = std::make_unique<bh::lab::RecordTamper>(*plan);
  if (nfq_set_mode(em.queue, NFQNL_COPY_PACKET, 0xffff) < 0) {
    std::fprintf(stderr, "bh-wanem: cannot copy packets: %s\n", std::strerror(errno));
  }
}

void usage() {
  std::fprintf(stderr,
               "usage: bh-wanem --queue N --delay-us US [--loss PCT] [--seed S] [--maxlen N]\n"
               "                [--stats FILE] [--ready FILE] [--tamper FILE]\n"
               "  --delay-us  one-way delay added to every forwarded packet\n"
               "  --loss      round-trip loss percentage (each direction drops\n"
               "              1-sqrt(1-PCT/100) of its packets)\n"
               "  --tamper    on SIGUSR1, read a plan \"ACTION DIRECTION RECORD PORT\"\n"
               "              (lab/tls_tamper.h) and apply it to the next connection to PORT\n");
}

}  // namespace

int main(int argc, char** argv) {
  int queueNum = -1;
  uint64_t delayUs = 0;
  double lossPct = 0;
  uint64_t seed = 1;
  uint32_t maxlen = 8192;
  std::string statsPath, readyPath, tamperPath;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> const char* {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--queue") {
      queueNum = std::atoi(val());
    } else if (a == "--delay-us") {
      delayUs = std::strtoull(val(), nullptr, 10);
    } else if (a == "--loss") {
      lossPct = std::atof(val());
    } else if (a == "--seed") {
      seed = std::strtoull(val(), nullptr, 10);
    } else if (a == "--maxlen") {
      maxlen = static_cast<uint32_t>(std::strtoul(val(), nullptr, 10));
    } else if (a == "--stats") {
      statsPath = val();
    } else if (a == "--ready") {
      readyPath = val();
    } else if (a == "--tamper") {
      tamperPath = val();
    } else {
      usage();
      return 2;
    }
  }
  if (queueNum < 0 || queueNum > 65535 || lossPct < 0 || lossPct > 100 || maxlen == 0) {
    usage();
    return 2;
  }

  Emulator em{bh::lab::DelayLine(delayUs * 1000, maxlen),
              bh::lab::LossModel(lossPct, seed),
              {},
              nullptr,
              nullptr,
              0,
              0,
              0,
              false};

  nfq_handle* h = nfq_open();
  if (h == nullptr) {
    std::perror("bh-wanem: nfq_open");
    return 1;
  }
  em.queue = nfq_create_queue(h, static_cast<uint16_t>(queueNum), &onPacket, &em);
  if (em.queue == nullptr) {
    std::fprintf(stderr, "bh-wanem: cannot bind queue %d: %s\n", queueNum, std::strerror(errno));
    return 1;
  }
  // Metadata only: the emulator never needs the payload, which keeps it fast.
  if (nfq_set_mode(em.queue, NFQNL_COPY_META, 0) < 0 ||
      nfq_set_queue_maxlen(em.queue, maxlen) < 0) {
    std::fprintf(stderr, "bh-wanem: cannot configure queue: %s\n", std::strerror(errno));
    return 1;
  }
  nfnl_rcvbufsiz(nfq_nfnlh(h), 8 * 1024 * 1024);
  int fd = nfq_fd(h);
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));

  struct sigaction sa {};
  sa.sa_handler = onStop;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  struct sigaction st {};
  st.sa_handler = onTamper;
  sigaction(SIGUSR1, &st, nullptr);

  if (!readyPath.empty()) {
    FILE* f = std::fopen(readyPath.c_str(), "w");
    if (f != nullptr) {
      std::fprintf(f, "%d\n", getpid());
      std::fclose(f);
    }
  }

  alignas(16) static char buf[1 << 16];
  uint64_t nextStats = nowNs();
  while (!stopRequested) {
    if (tamperRequested) {
      tamperRequested = 0;
      armTamper(tamperPath, em);
      em.reportChanged = true;
    }
    if (em.reportChanged) {
      em.reportChanged = false;
      writeStats(statsPath, em);
      if (em.tamper && !em.tamper->active()) {
        nfq_set_mode(em.queue, NFQNL_COPY_META, 0);
      }
    }
    uint64_t now = nowNs();
    if (auto last = em.line.popDue(now)) {
      nfq_set_verdict_batch(em.queue, *last, NF_ACCEPT);
    }
    if (now >= nextStats) {
      writeStats(statsPath, em);
      nextStats = now + 1'000'000'000ULL;
    }
    uint64_t wakeNs = nextStats;
    if (auto due = em.line.nextDueNs()) {
      wakeNs = std::min(wakeNs, *due);
    }
    uint64_t waitNs = wakeNs > now ? wakeNs - now : 0;
    timespec ts{static_cast<time_t>(waitNs / 1'000'000'000ULL),
                static_cast<long>(waitNs % 1'000'000'000ULL)};
    pollfd pfd{fd, POLLIN, 0};
    int r = ppoll(&pfd, 1, &ts, nullptr);
    if (r < 0 && errno != EINTR) {
      std::perror("bh-wanem: ppoll");
      return 1;
    }
    if (r > 0) {
      for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n <= 0) {
          break;
        }
        nfq_handle_packet(h, buf, static_cast<int>(n));
      }
    }
  }
  writeStats(statsPath, em);
  nfq_destroy_queue(em.queue);
  nfq_close(h);
  return 0;
}
