// bridgehead: the daemon. Thin: parses the command line, loads and validates the config, and
// runs the box (box/box.h).
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "box/box.h"
#include "common/heap_tuning.h"
#include "policy/config_loader.h"
#include "policy/policy.h"

namespace {

void usage() {
  std::fprintf(
      stderr,
      "usage: bridgehead [--config FILE] [--role edge|core|both] [--control PATH]\n"
      "                  [--state-dir DIR] [--lan-interface IF]... [--queue N]\n"
      "                  [--pidfile FILE] [--user NAME] [--no-rules] [--initial-window SEGMENTS]\n"
      "                  [--wan-bandwidth KBIT]\n"
      "       bridgehead --check-config FILE\n"
      "       bridgehead --remove-rules [--config FILE] [--role R]\n"
      "       bridgehead --list-commands\n");
}

/// Every flow holds two sockets (a spliced pass-through flow two pipes more), so the usual soft
/// limit of 1024 descriptors (systemd's default for services, most shells') caps the box at a
/// few hundred connections: an accept beyond it fails and the client's connection is dropped.
/// Raise the soft limit to the hard one (systemd's default hard limit is 524288) and say so
/// when even that is short of what `connection_limit` asks for.
void raiseFileLimit(uint64_t connectionLimit) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    return;
  }
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      rl = raised;
    }
  }
  const uint64_t want = 2 * connectionLimit + 256;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
    std::fprintf(stderr,
                 "bridgehead: warning: open file limit %llu is below the %llu that "
                 "connection_limit %llu needs (raise LimitNOFILE)\n",
                 static_cast<unsigned long long>(rl.rlim_cur),
                 static_cast<unsigned long long>(want),
                 static_cast<unsigned long long>(connectionLimit));
  }
}

/// `--list-commands`: the control socket's command table (words and syntax of every row, the
/// box's and its accelerators'), as JSON, from a box built on the default policy and never run.
/// bhctl's bash completion is generated from it (cli/CMakeLists.txt), and a test checks
/// bhctl(8) against it, so neither can drift from what the socket dispatches on.
int printCommands() {
  auto cfg = bh::policy::loadConfig("{}");
  if (!cfg.ok()) {
    std::fprintf(stderr, "bridgehead: the default config: %s", cfg.errorText().c_str());
    return 1;
  }
  auto pol = bh::policy::Policy::create(std::move(cfg).value(), 1);
  if (!pol.ok()) {
    std::fprintf(stderr, "bridgehead: the default policy: %s", pol.errorText().c_str());
    return 1;
  }
  bh::proxy::DaemonOptions opt;
  opt.stateDir = "/nonexistent";  // never opened: the box is built, not run
  bh::box::Box box(std::move(opt), pol.value());
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& c : box.commands().rows()) {
    rows.push_back({{"words", c.words}, {"syntax", c.help}});
  }
  std::printf("%s\n", rows.dump(1).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A write to a connection the far end reset must be an error on that flow (EPIPE), never a
  // signal that kills the daemon with every other flow.
  std::signal(SIGPIPE, SIG_IGN);
  // Decoded DRE blocks and TLS records live in short-lived buffers of up to 1 MiB: keep the
  // freed ones rather than faulting them in again for every block (common/heap_tuning.h).
  bh::keepFreedHeap();
  bh::proxy::DaemonOptions opt;
  opt.configPath = bh::policy::kDefaultConfigPath;
  std::string check;
  std::string pidfile;
  bool removeOnly = false;
  bool listCommands = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--config") {
      opt.configPath = val();
    } else if (a == "--check-config") {
      check = val();
    } else if (a == "--role") {
      std::string r = val();
      if (r == "edge") {
        opt.roleOverride = bh::policy::DeviceRole::Edge;
      } else if (r == "core") {
        opt.roleOverride = bh::policy::DeviceRole::Core;
      } else if (r == "both") {
        opt.roleOverride = bh::policy::DeviceRole::Both;
      } else {
        usage();
        return 2;
      }
    } else if (a == "--control") {
      opt.controlPath = val();
    } else if (a == "--state-dir") {
      opt.stateDir = val();
    } else if (a == "--lan-interface") {
      opt.lanInterfaces.push_back(val());
    } else if (a == "--queue") {
      opt.queueNum = static_cast<uint16_t>(std::stoi(val()));
    } else if (a == "--initial-window") {
      opt.initialWindowSegments = static_cast<uint32_t>(std::stoul(val()));
    } else if (a == "--wan-bandwidth") {
      opt.wanBandwidthKbit = static_cast<uint32_t>(std::stoul(val()));
    } else if (a == "--user") {
      opt.user = val();
    } else if (a == "--pidfile") {
      pidfile = val();
    } else if (a == "--remove-rules") {
      removeOnly = true;
    } else if (a == "--list-commands") {
      listCommands = true;
    } else if (a == "--no-rules") {
      opt.installRules = false;
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else {
      usage();
      return 2;
    }
  }
  if (!check.empty()) {
    auto cfg = bh::policy::loadConfigFile(check);
    if (!cfg.ok()) {
      std::fprintf(stderr, "%s: invalid\n%s", check.c_str(), cfg.errorText().c_str());
      return 1;
    }
    std::printf("%s: ok\n", check.c_str());
    return 0;
  }
  if (listCommands) {
    return printCommands();
  }
  auto cfg = bh::policy::loadConfigFile(opt.configPath);
  if (!cfg.ok()) {
    std::fprintf(stderr, "bridgehead: %s is invalid:\n%s", opt.configPath.c_str(),
                 cfg.errorText().c_str());
    return 1;
  }
  auto pol = bh::policy::Policy::create(std::move(cfg).value(), 1);
  if (!pol.ok()) {
    std::fprintf(stderr, "bridgehead: %s", pol.errorText().c_str());
    return 1;
  }
  if (!pidfile.empty()) {
    if (FILE* f = std::fopen(pidfile.c_str(), "w")) {
      std::fprintf(f, "%d\n", static_cast<int>(getpid()));
      std::fclose(f);
    }
  }
  if (!removeOnly) {
    raiseFileLimit(pol.value()->config().limits.connectionLimit);
  }
  bh::box::Box box(std::move(opt), pol.value());
  if (removeOnly) {
    return box.removeRules();
  }
  return box.run();
}
