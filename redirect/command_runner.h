#pragma once

#include <string>
#include <vector>

namespace bh::redirect {

struct CommandResult {
  int exitCode = -1;
  std::string output;  ///< stdout + stderr
};

/// Runs router tools (nft, iptables-restore, ip). An interface so rule application is
/// unit-tested with a recording fake; the lab tests run the real tools.
class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  virtual CommandResult run(const std::vector<std::string>& argv, const std::string& input) = 0;
};

/// fork/exec with the input on stdin; no shell, so nothing is ever interpreted.
class ProcessRunner : public CommandRunner {
 public:
  CommandResult run(const std::vector<std::string>& argv, const std::string& input) override;
};

}  // namespace bh::redirect
