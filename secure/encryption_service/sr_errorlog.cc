#include "secure/encryption_service/sr_errorlog.h"

#include <cstdio>
#include <ctime>

namespace bh::secure::encryption_service {

std::string srLogLine(int64_t wallMs, bool error, const std::string& text) {
  time_t secs = static_cast<time_t>(wallMs / 1000);
  tm t{};
  gmtime_r(&secs, &t);
  char when[64];
  std::snprintf(when, sizeof(when), "%02d/%02d/%04d %02d:%02d:%02d.%03d(UTC)", t.tm_mon + 1,
                t.tm_mday, t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec,
                static_cast<int>(wallMs % 1000));
  return std::string(when) + (error ? " ERRO " : " NTCE ") + text;
}

SrErrorLog::SrErrorLog(LineLog& lines, Journal journal, std::function<int64_t()> wallMs)
    : lines_(lines), journal_(std::move(journal)), wallMs_(std::move(wallMs)) {}

void SrErrorLog::write(bool error, const std::string& text) {
  if (journal_) {
    journal_(error, "encryption-service: " + text);
  }
  lines_.append(srLogLine(wallMs_(), error, text));
}

}  // namespace bh::secure::encryption_service
