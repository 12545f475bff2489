#pragma once

#include <string>

#include "redirect/command_runner.h"
#include "redirect/interception.h"

namespace bh::redirect {

/// Installs, replaces and removes the interception rules of one InterceptionSpec. Rules are
/// owned by the `bridgehead` nft table and the BRIDGEHEAD-* iptables chains, so removing them
/// never touches anyone else's rules, and installing first removes any leftovers of a crash.
class RuleInstaller {
 public:
  explicit RuleInstaller(CommandRunner& runner) : runner_(runner) {}

  /// Detects whether nft has the `queue` expression (the lab kernel does not).
  KernelFeatures probe();
  /// Installs (or atomically replaces) the rules; on error returns false with error().
  bool install(const InterceptionSpec& spec);
  /// Removes everything install() created; safe to call when nothing is installed.
  void remove(const InterceptionSpec& spec);
  const std::string& error() const { return error_; }

 private:
  bool ensureJump(const std::string& tool, const std::string& builtin, const std::string& chain);
  CommandRunner& runner_;
  std::string error_;
};

}  // namespace bh::redirect
