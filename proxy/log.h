#pragma once

#include <string>

namespace bh::proxy {

/// Daemon log lines on stderr, which systemd's journal (or the lab's log file) collects. Never
/// pass payload bytes, keys or tickets here.
void logInfo(const std::string& msg);
void logError(const std::string& msg);

}  // namespace bh::proxy
