#include "proxy/transaction_log.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "proxy/codec/optimization_policy.h"

namespace bh::proxy {

std::string transactionLogLine(const FlowInfo& i, std::time_t now) {
  char when[32];
  tm tmv{};
  localtime_r(&now, &tmv);
  std::strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tmv);
  std::string kind = i.state == FlowState::PassThrough ? "PT" : "SODRE";
  return std::string(when) + " :" + std::to_string(i.connId) + " :" + i.client.ip.toString() +
         " :" + std::to_string(i.client.port) + " :" + i.server.ip.toString() + " :" +
         std::to_string(i.server.port) + " :OT :" + kind +
         " :END :" + (i.coreSide ? "INTERNAL SERVER" : "EXTERNAL CLIENT") + " :(" +
         i.decision.application + ") :" + i.peerId + " :" + codec::policyName(i.policy.applied) +
         " :" + std::to_string(i.lanBytesRead) + " :" + std::to_string(i.lanBytesWritten) + " :" +
         std::to_string(i.wanBytesRead) + " :" + std::to_string(i.wanBytesWritten);
}

void appendTransactionLog(const std::string& stateDir, const std::string& line) {
  std::string path = stateDir + "/tfo.log";
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && st.st_size > (10 << 20)) {
    std::rename(path.c_str(), (path + ".1").c_str());  // keep one rotated file
  }
  std::ofstream f(path, std::ios::app);
  f << line << "\n";
}

}  // namespace bh::proxy
