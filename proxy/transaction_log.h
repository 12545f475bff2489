#pragma once

// The transaction log (transaction_log.enabled): the seed's tfo_log flow-end record, one line
// per flow that ended, in the box's journal and in <state dir>/tfo.log (rotated at 10 MiB, one
// old file kept).

#include <ctime>
#include <string>

#include "proxy/flow_info.h"

namespace bh::proxy {

/// The record of a flow that ended at `now`: time, conn id, addresses, what ran, byte counts.
std::string transactionLogLine(const FlowInfo& flow, std::time_t now);
/// Appends `line` to stateDir/tfo.log, first moving a file over 10 MiB to tfo.log.1.
void appendTransactionLog(const std::string& stateDir, const std::string& line);

}  // namespace bh::proxy
