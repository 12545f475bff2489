// bhctl: the operator's command line. Sends the words it is given to the bridgehead daemon's
// control socket and prints the answer: text shaped like the WAAS guide's show commands, or
// the same facts as JSON with --json.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: bhctl [--socket PATH] [--json] COMMAND...\n"
               "  show statistics connection [optimized|pass-through] [mapi|epm|tfo] [detail]\n"
               "  show statistics auto-discovery | show statistics dre\n"
               "  show statistics accelerator epm | show statistics accelerator mapi\n"
               "  clear statistics accelerator mapi\n"
               "  show accelerator [epm|mapi|generic]\n"
               "  show running-config | show policy-map | show class-map\n"
               "  show policy-engine application dynamic\n"
               "  show device\n"
               "  show statistics wan-secure | show crypto certificates | show secure-store\n"
               "  [no] debug accelerator mapi {all|Common-flow|DCERPC-layer|EMSMDB-layer|\n"
               "                              ROP-layer|ROP-parser|RPC-parser|Transport}...\n"
               "  debug connection host ADDRESS | debug connection any | no debug connection\n"
               "  no debug all | show debugging\n"
               "  type-tail errorlog/mapiao-errorlog.current [LINES | follow]\n"
               "  type-tail errorlog/sr-errorlog.current [LINES | follow]\n"
               "  windows-domain diagnostics encryption-service get-key FQDN DOMAIN\n"
               "  show windows-domain encryption-service\n"
               "  reload\n");
}

/// One request on the control socket: the daemon's answer, or nullopt (said on stderr).
std::optional<nlohmann::json> ask(const std::string& path, const std::vector<std::string>& args) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof(sa.sun_path)) {
    std::fprintf(stderr, "bhctl: socket path too long\n");
    if (fd >= 0) {
      close(fd);
    }
    return std::nullopt;
  }
  std::strcpy(sa.sun_path, path.c_str());
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    std::fprintf(stderr, "bhctl: cannot reach bridgehead at %s: %s\n", path.c_str(),
                 std::strerror(errno));
    if (fd >= 0) {
      close(fd);
    }
    return std::nullopt;
  }
  std::string req = nlohmann::json{{"args", args}}.dump() + "\n";
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    std::fprintf(stderr, "bhctl: write failed\n");
    close(fd);
    return std::nullopt;
  }
  std::string resp;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    resp.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  nlohmann::json j = nlohmann::json::parse(resp, nullptr, false);
  if (j.is_discarded()) {
    std::fprintf(stderr, "bhctl: bad answer from the daemon\n");
    return std::nullopt;
  }
  return j;
}

/// `type-tail LOG follow`: the last lines, then every new one as it comes (the seed's
/// `type-tail errorlog/mapiao-errorlog.current follow`), until interrupted or the daemon goes.
int follow(const std::string& path, const std::string& log) {
  std::vector<std::string> args = {"type-tail", log};
  for (;;) {
    auto j = ask(path, args);
    if (!j) {
      return 1;
    }
    if (!j->value("ok", false)) {
      std::fprintf(stderr, "%s\n", j->value("error", std::string("failed")).c_str());
      return 1;
    }
    std::fputs(j->value("text", std::string()).c_str(), stdout);
    std::fflush(stdout);
    uint64_t next = (*j)["json"].value("next", uint64_t{0});
    args = {"type-tail", log, "since", std::to_string(next)};
    usleep(500 * 1000);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = "/run/bridgehead/control.sock";
  bool json = false;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--socket" && i + 1 < argc) {
      path = argv[++i];
    } else if (a == "--json") {
      json = true;
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else {
      args.push_back(a);
    }
  }
  if (args.empty()) {
    usage();
    return 2;
  }
  if (args.size() == 3 && args[0] == "type-tail" && args[2] == "follow") {
    return follow(path, args[1]);
  }
  auto j = ask(path, args);
  if (!j) {
    return 1;
  }
  if (!j->value("ok", false)) {
    std::fprintf(stderr, "%s\n", j->value("error", std::string("failed")).c_str());
    return 1;
  }
  if (json) {
    std::printf("%s\n", (*j)["json"].dump(2).c_str());
  } else {
    std::fputs(j->value("text", std::string()).c_str(), stdout);
  }
  return 0;
}
