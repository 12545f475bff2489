#include "proxy/log.h"

#include <cstdio>
#include <ctime>

namespace bh::proxy {

namespace {

void emit(const char* level, const std::string& msg) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm tmv{};
  localtime_r(&ts.tv_sec, &tmv);
  char when[32];
  std::strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tmv);
  std::fprintf(stderr, "%s.%03ld %s %s\n", when, ts.tv_nsec / 1000000, level, msg.c_str());
  std::fflush(stderr);
}

}  // namespace

void logInfo(const std::string& msg) {
  emit("info", msg);
}
void logError(const std::string& msg) {
  emit("error", msg);
}

}  // namespace bh::proxy
