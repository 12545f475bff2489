#include "redirect/rule_installer.h"

namespace bh::redirect {

KernelFeatures RuleInstaller::probe() {
  KernelFeatures f;
  // A throwaway table: only the kernel can say whether the queue expression exists.
  const std::string probe =
      "table inet bridgehead_probe { chain c { type filter hook prerouting priority 0; "
      "policy accept;\n tcp flags syn queue num 0 bypass\n } }\n";
  f.nftQueue = runner_.run({"nft", "-f", "-"}, probe).exitCode == 0;
  if (f.nftQueue) {
    runner_.run({"nft", "delete", "table", "inet", "bridgehead_probe"}, "");
  }
  return f;
}

bool RuleInstaller::ensureJump(const std::string& tool, const std::string& builtin,
                               const std::string& chain) {
  if (runner_.run({tool, "-w", "-t", "mangle", "-C", builtin, "-j", chain}, "").exitCode == 0) {
    return true;
  }
  auto r = runner_.run({tool, "-w", "-t", "mangle", "-I", builtin, "1", "-j", chain}, "");
  if (r.exitCode != 0) {
    error_ = tool + " " + builtin + " -> " + chain + ": " + r.output;
    return false;
  }
  return true;
}

bool RuleInstaller::install(const InterceptionSpec& spec) {
  error_.clear();
  RuleSet rs = buildRules(spec);
  auto r = runner_.run({"nft", "-f", "-"}, rs.nftScript);
  if (r.exitCode != 0) {
    error_ = "nft: " + r.output;
    return false;
  }
  struct Family {
    const char* restore;
    const char* tool;
    const std::string& text;
  };
  for (const Family& f : {Family{"iptables-restore", "iptables", rs.iptablesV4},
                          Family{"ip6tables-restore", "ip6tables", rs.iptablesV6}}) {
    r = runner_.run({f.restore, "-w", "--noflush"}, f.text);
    if (r.exitCode != 0) {
      error_ = std::string(f.restore) + ": " + r.output;
      return false;
    }
    if (!ensureJump(f.tool, "PREROUTING", spec.chainPrefix + "-PRE") ||
        !ensureJump(f.tool, "POSTROUTING", spec.chainPrefix + "-POST") ||
        !ensureJump(f.tool, "OUTPUT", spec.chainPrefix + "-OUT")) {
      return false;
    }
  }
  // Policy routing: delete then add, so a restart after a crash does not stack rules.
  for (const auto& cmd : rs.routeTeardown) {
    runner_.run(cmd, "");
  }
  for (const auto& cmd : rs.routeSetup) {
    r = runner_.run(cmd, "");
    if (r.exitCode != 0) {
      error_ = "route setup: " + r.output;
      return false;
    }
  }
  return true;
}

void RuleInstaller::remove(const InterceptionSpec& spec) {
  RuleSet rs = buildRules(spec);
  runner_.run({"nft", "delete", "table", "inet", spec.tableName}, "");
  for (const char* tool : {"iptables", "ip6tables"}) {
    for (const char* b : {"PREROUTING", "POSTROUTING", "OUTPUT"}) {
      std::string chain = spec.chainPrefix + (std::string(b) == "PREROUTING"    ? "-PRE"
                                              : std::string(b) == "POSTROUTING" ? "-POST"
                                                                                : "-OUT");
      // A jump may have been inserted more than once by hand or an older version: remove
      // them all (bounded, so a misbehaving tool cannot loop us forever).
      for (int i = 0; i < 16; ++i) {
        if (runner_.run({tool, "-w", "-t", "mangle", "-D", b, "-j", chain}, "").exitCode != 0) {
          break;
        }
      }
      runner_.run({tool, "-w", "-t", "mangle", "-F", chain}, "");
      runner_.run({tool, "-w", "-t", "mangle", "-X", chain}, "");
    }
  }
  for (const auto& cmd : rs.routeTeardown) {
    runner_.run(cmd, "");
  }
}

}  // namespace bh::redirect
