#include "mapi/mapi_ao/mapi_counters.h"

#include <cstdio>
#include <limits>
#include <utility>
#include <vector>

namespace bh::mapi::mapi_ao {

namespace {

using nlohmann::json;

uint64_t saturatingAdd(uint64_t a, uint64_t b) {
  return b > std::numeric_limits<uint64_t>::max() - a ? std::numeric_limits<uint64_t>::max()
                                                      : a + b;
}

void decrement(uint64_t& v) {
  if (v > 0) {
    --v;
  }
}

uint64_t usec(std::chrono::microseconds d) {
  return d.count() > 0 ? static_cast<uint64_t>(d.count()) : 0;
}

/// One "  Label:<pad> value" line of the global block (the EPM block's layout).
std::string globalLine(const std::string& label, const std::string& value) {
  char line[160];
  std::snprintf(line, sizeof line, "  %-51s %s\n", (label + ":").c_str(), value.c_str());
  return line;
}

/// One "Label:<pad>value" line of the per-connection block.
std::string connLine(const std::string& label, const std::string& value) {
  char line[160];
  std::snprintf(line, sizeof line, "%-50s%s\n", (label + ":").c_str(), value.c_str());
  return line;
}

using Rows = std::vector<std::pair<std::string, std::string>>;

void addSummaryRows(Rows& rows, const char* countLabel, const char* what, const Summary& s) {
  rows.emplace_back(countLabel, std::to_string(s.count));
  rows.emplace_back(std::string("Minimum ") + what, std::to_string(s.min));
  rows.emplace_back(std::string("Maximum ") + what, std::to_string(s.max));
  rows.emplace_back(std::string("Average ") + what, std::to_string(s.average()));
}

/// The rows the global block and the per-connection block share, in the seed's order:
/// Synch Get Buffer, Read Stream, Accumulated Read Ahead, Local and Remote Response.
void addSampleRows(Rows& rows, const Summary& synch, const Summary& read, const Summary& ahead,
                   const Summary& local, const Summary& remote) {
  addSummaryRows(rows, "Number of Synch Get Buffer Requests", "Synch Get Buffer Size (bytes)",
                 synch);
  addSummaryRows(rows, "Number of Read Stream Requests", "Read Stream Buffer Size (bytes)", read);
  rows.emplace_back("Minimum Accumulated Read Ahead Data Size (bytes)", std::to_string(ahead.min));
  rows.emplace_back("Maximum Accumulated Read Ahead Data Size (bytes)", std::to_string(ahead.max));
  rows.emplace_back("Average Accumulated Read Ahead Data Size (bytes)",
                    std::to_string(ahead.average()));
  rows.emplace_back("Local Response Count", std::to_string(local.count));
  rows.emplace_back("Average Local Response Time (usec)", std::to_string(local.average()));
  rows.emplace_back("Remote Response Count", std::to_string(remote.count));
  rows.emplace_back("Average Remote Response Time (usec)", std::to_string(remote.average()));
}

const char* handOffReasonLabel(HandOffReason r) {
  switch (r) {
    case HandOffReason::Encrypted:
      return "Encrypted";
    case HandOffReason::Ntlm:
      return "NTLM Authentication";
    case HandOffReason::UnsupportedClient:
      return "Unsupported Client";
    case HandOffReason::ExchangeToExchange:
      return "Exchange-to-Exchange";
    case HandOffReason::ParseError:
      return "Parse Error";
    case HandOffReason::Overload:
      return "Overload";
    case HandOffReason::Other:
      return "Other";
  }
  return "Other";
}

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

}  // namespace

// ---- Summary ----------------------------------------------------------------------------

void Summary::add(uint64_t value) {
  if (count == 0 || value < min) {
    min = value;
  }
  if (count == 0 || value > max) {
    max = value;
  }
  ++count;
  total = saturatingAdd(total, value);
}

uint64_t Summary::average() const {
  if (count == 0) {
    return 0;
  }
  // Rounded to nearest without overflowing total + count / 2.
  uint64_t q = total / count;
  uint64_t r = total % count;
  return r >= count - r ? q + 1 : q;
}

json Summary::toJson() const {
  return {{"count", count}, {"min", min}, {"max", max}, {"average", average()}, {"total", total}};
}

// ---- names ------------------------------------------------------------------------------

const char* handOffReasonName(HandOffReason r) {
  switch (r) {
    case HandOffReason::Encrypted:
      return "encrypted";
    case HandOffReason::Ntlm:
      return "ntlm";
    case HandOffReason::UnsupportedClient:
      return "unsupported-client";
    case HandOffReason::ExchangeToExchange:
      return "exchange-to-exchange";
    case HandOffReason::ParseError:
      return "parse-error";
    case HandOffReason::Overload:
      return "overload";
    case HandOffReason::Other:
      return "other";
  }
  return "other";
}

const char* mapiConnectionStateName(MapiConnectionState s) {
  switch (s) {
    case MapiConnectionState::New:
      return "new";
    case MapiConnectionState::Pending:
      return "pending";
    case MapiConnectionState::Optimized:
      return "optimized";
    case MapiConnectionState::HandedOff:
      return "handed-off";
    case MapiConnectionState::Dropped:
      return "dropped";
    case MapiConnectionState::Closed:
      return "closed";
  }
  return "unknown";
}

std::string seedTimeText(uint64_t unixSeconds) {
  time_t t = static_cast<time_t>(unixSeconds);
  tm tmv{};
  localtime_r(&t, &tmv);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a %b %e %H:%M:%S %Y", &tmv);
  return buf;
}

// ---- per connection ---------------------------------------------------------------------

json MapiConnectionStats::toJson() const {
  json j = {
      {"stats_since", statsSinceUnix},
      {"state", mapiConnectionStateName(state)},
      {"secured", secured},
      {"encryption", encryption.empty() ? json() : json(encryption)},
      {"hand_off_reason", handOffReason ? json(handOffReasonName(*handOffReason)) : json()},
      {"client_version", clientVersion ? json(clientVersion->toString()) : json()},
      {"client_generation",
       clientVersion ? json(emsmdb::outlookVersionName(emsmdb::outlookVersion(*clientVersion)))
                     : json()},
      {"association_group_id", associationGroupId ? json(*associationGroupId) : json()},
      {"synch_get_buffer", synchGetBuffer.toJson()},
      {"read_stream", readStream.toJson()},
      {"read_ahead_accumulated", readAheadAccumulated.toJson()},
      {"local_response_usec", localResponseUsec.toJson()},
      {"remote_response_usec", remoteResponseUsec.toJson()},
      {"read_ahead_bytes_served_locally", readAheadBytesServedLocally},
      {"read_ahead_requests_served_locally", readAheadRequestsServedLocally},
      {"write_optimized_bytes", writeOptimizedBytes},
      {"write_optimized_requests", writeOptimizedRequests}};
  return j;
}

std::string mapiConnectionDetailText(uint64_t connId, const MapiConnectionStats& c,
                                     uint64_t totalBytesRead, uint64_t totalBytesWritten) {
  Rows rows;
  rows.emplace_back("Time Statistics were Last Reset/Cleared", seedTimeText(c.statsSinceUnix));
  rows.emplace_back("Total Bytes Read", std::to_string(totalBytesRead));
  rows.emplace_back("Total Bytes Written", std::to_string(totalBytesWritten));
  addSampleRows(rows, c.synchGetBuffer, c.readStream, c.readAheadAccumulated, c.localResponseUsec,
                c.remoteResponseUsec);
  // Ours, where the seed's excerpt ends in ". . .".
  std::string version = "unknown";
  if (c.clientVersion) {
    version = c.clientVersion->toString() + " (" +
              emsmdb::outlookVersionName(emsmdb::outlookVersion(*c.clientVersion)) + ")";
  }
  rows.emplace_back("Client Version", version);
  rows.emplace_back("Association Group Id",
                    c.associationGroupId ? hex(*c.associationGroupId) : "unknown");
  rows.emplace_back("MAPI State", mapiConnectionStateName(c.state));
  rows.emplace_back("Hand-off Reason",
                    c.handOffReason ? handOffReasonName(*c.handOffReason) : "none");
  rows.emplace_back("Secured Connection", c.secured ? "TRUE" : "FALSE");
  rows.emplace_back("Encrypted", c.encryption.empty() ? "no" : c.encryption);
  rows.emplace_back("Read Ahead Bytes Served Locally",
                    std::to_string(c.readAheadBytesServedLocally));
  rows.emplace_back("Read Ahead Requests Served Locally",
                    std::to_string(c.readAheadRequestsServedLocally));
  rows.emplace_back("Write Optimized Bytes", std::to_string(c.writeOptimizedBytes));
  rows.emplace_back("Write Optimized Requests", std::to_string(c.writeOptimizedRequests));

  std::string out = "MAPI : " + std::to_string(connId) + "\n\n";
  for (const auto& [label, value] : rows) {
    out += connLine(label, value);
  }
  return out;
}

// ---- MapiCounters -----------------------------------------------------------------------

MapiCounters::MapiCounters(uint64_t startedUnix) {
  s_.startedUnix = startedUnix;
  s_.lastResetUnix = startedUnix;
}

void MapiCounters::onConnectionHandled(MapiConnectionStats& conn) {
  if (conn.state != MapiConnectionState::New) {
    return;
  }
  conn.state = MapiConnectionState::Pending;
  if (conn.statsSinceUnix == 0) {
    conn.statsSinceUnix = static_cast<uint64_t>(std::time(nullptr));
  }
  ++s_.totalHandledConnections;
  ++s_.currentPendingConnections;
}

void MapiCounters::leaveGauge(const MapiConnectionStats& conn) {
  if (conn.state == MapiConnectionState::Pending) {
    decrement(s_.currentPendingConnections);
  } else if (conn.state == MapiConnectionState::Optimized) {
    decrement(s_.currentActiveConnections);
  }
}

void MapiCounters::onOptimized(MapiConnectionStats& conn) {
  onConnectionHandled(conn);
  if (conn.state != MapiConnectionState::Pending) {
    return;
  }
  leaveGauge(conn);
  conn.state = MapiConnectionState::Optimized;
  ++s_.totalOptimizedConnections;
  ++s_.currentActiveConnections;
  if (s_.currentActiveConnections > s_.maximumActiveConnections) {
    s_.maximumActiveConnections = s_.currentActiveConnections;
  }
}

void MapiCounters::onHandedOff(MapiConnectionStats& conn, HandOffReason why) {
  onConnectionHandled(conn);
  if (conn.state != MapiConnectionState::Pending && conn.state != MapiConnectionState::Optimized) {
    return;
  }
  leaveGauge(conn);
  conn.state = MapiConnectionState::HandedOff;
  conn.handOffReason = why;
  ++s_.totalHandedOffConnections;
  ++s_.handedOffByReason[static_cast<size_t>(why)];
  if (why == HandOffReason::Encrypted) {
    onSecuredConnection(conn);
  }
}

void MapiCounters::onSecuredConnection(MapiConnectionStats& conn) {
  if (!conn.secured) {
    conn.secured = true;
    ++s_.securedConnections;
  }
}

void MapiCounters::onSecuredAccelerated(MapiConnectionStats& conn, const std::string& description) {
  onSecuredConnection(conn);
  if (conn.encryption.empty()) {
    ++s_.securedAccelerated;
  }
  conn.encryption = description;
}

void MapiCounters::onDropped(MapiConnectionStats& conn) {
  onConnectionHandled(conn);
  if (conn.state != MapiConnectionState::Pending && conn.state != MapiConnectionState::Optimized) {
    return;
  }
  leaveGauge(conn);
  conn.state = MapiConnectionState::Dropped;
  ++s_.totalDroppedConnections;
}

void MapiCounters::onConnectionClosed(MapiConnectionStats& conn) {
  if (conn.state == MapiConnectionState::Closed) {
    return;
  }
  leaveGauge(conn);
  conn.state = MapiConnectionState::Closed;
}

void MapiCounters::onSessionOpened(const emsmdb::ClientVersion& version,
                                   MapiConnectionStats* conn) {
  if (conn != nullptr) {
    conn->clientVersion = version;
  }
  switch (emsmdb::sessionClass(version)) {
    case emsmdb::SessionClass::LowerThan2000:
      ++s_.lowerThan2000Sessions;
      break;
    case emsmdb::SessionClass::Outlook2000:
      ++s_.current2000Sessions;
      break;
    case emsmdb::SessionClass::Outlook2003:
      ++s_.current2003Sessions;
      break;
    case emsmdb::SessionClass::Outlook2007:
      ++s_.current2007Sessions;
      break;
    case emsmdb::SessionClass::HigherThan2007:
      ++s_.higherThan2007Sessions;
      break;
  }
}

void MapiCounters::onSessionClosed(const emsmdb::ClientVersion& version) {
  switch (emsmdb::sessionClass(version)) {
    case emsmdb::SessionClass::LowerThan2000:
      break;
    case emsmdb::SessionClass::Outlook2000:
      decrement(s_.current2000Sessions);
      break;
    case emsmdb::SessionClass::Outlook2003:
      decrement(s_.current2003Sessions);
      break;
    case emsmdb::SessionClass::Outlook2007:
      decrement(s_.current2007Sessions);
      break;
    case emsmdb::SessionClass::HigherThan2007:
      decrement(s_.higherThan2007Sessions);
      break;
  }
}

void MapiCounters::recordSynchGetBuffer(MapiConnectionStats& conn, uint64_t bytes) {
  conn.synchGetBuffer.add(bytes);
  s_.synchGetBuffer.add(bytes);
}

void MapiCounters::recordReadStream(MapiConnectionStats& conn, uint64_t bytes) {
  conn.readStream.add(bytes);
  s_.readStream.add(bytes);
}

void MapiCounters::recordReadAheadAccumulated(MapiConnectionStats& conn, uint64_t bytes) {
  conn.readAheadAccumulated.add(bytes);
  s_.readAheadAccumulated.add(bytes);
}

void MapiCounters::recordLocalResponse(MapiConnectionStats& conn,
                                       std::chrono::microseconds elapsed) {
  conn.localResponseUsec.add(usec(elapsed));
  s_.localResponseUsec.add(usec(elapsed));
}

void MapiCounters::recordRemoteResponse(MapiConnectionStats& conn,
                                        std::chrono::microseconds elapsed) {
  conn.remoteResponseUsec.add(usec(elapsed));
  s_.remoteResponseUsec.add(usec(elapsed));
}

void MapiCounters::recordReadAheadServed(MapiConnectionStats& conn, uint64_t bytes) {
  conn.readAheadBytesServedLocally = saturatingAdd(conn.readAheadBytesServedLocally, bytes);
  ++conn.readAheadRequestsServedLocally;
  s_.readAheadBytesServedLocally = saturatingAdd(s_.readAheadBytesServedLocally, bytes);
}

void MapiCounters::recordWriteOptimized(MapiConnectionStats& conn, uint64_t bytes) {
  conn.writeOptimizedBytes = saturatingAdd(conn.writeOptimizedBytes, bytes);
  ++conn.writeOptimizedRequests;
  s_.writeOptimizedBytes = saturatingAdd(s_.writeOptimizedBytes, bytes);
}

void MapiCounters::reset(uint64_t nowUnix) {
  MapiGlobalStats fresh;
  fresh.startedUnix = s_.startedUnix;
  fresh.lastResetUnix = nowUnix;
  fresh.currentActiveConnections = s_.currentActiveConnections;
  fresh.currentPendingConnections = s_.currentPendingConnections;
  fresh.maximumActiveConnections = s_.currentActiveConnections;
  fresh.current2000Sessions = s_.current2000Sessions;
  fresh.current2003Sessions = s_.current2003Sessions;
  fresh.current2007Sessions = s_.current2007Sessions;
  fresh.higherThan2007Sessions = s_.higherThan2007Sessions;
  s_ = fresh;
}

std::string MapiCounters::toText() const {
  const MapiGlobalStats& s = s_;
  Rows rows;
  rows.emplace_back("Time Accelerator was started", seedTimeText(s.startedUnix));
  rows.emplace_back("Time Statistics were Last Reset/Cleared", seedTimeText(s.lastResetUnix));
  rows.emplace_back("Total Handled Connections", std::to_string(s.totalHandledConnections));
  rows.emplace_back("Total Optimized Connections", std::to_string(s.totalOptimizedConnections));
  rows.emplace_back("Total Connections Handed-off with Compression Policies Unchanged",
                    std::to_string(s.totalHandedOffConnections));
  rows.emplace_back("Total Dropped Connections", std::to_string(s.totalDroppedConnections));
  rows.emplace_back("Current Active Connections", std::to_string(s.currentActiveConnections));
  rows.emplace_back("Current Pending Connections", std::to_string(s.currentPendingConnections));
  rows.emplace_back("Maximum Active Connections", std::to_string(s.maximumActiveConnections));
  addSampleRows(rows, s.synchGetBuffer, s.readStream, s.readAheadAccumulated, s.localResponseUsec,
                s.remoteResponseUsec);
  rows.emplace_back("Current 2000 Accelerated Sessions", std::to_string(s.current2000Sessions));
  rows.emplace_back("Current 2003 Accelerated Sessions", std::to_string(s.current2003Sessions));
  rows.emplace_back("Current 2007 Accelerated Sessions", std::to_string(s.current2007Sessions));
  rows.emplace_back("Secured Connections", std::to_string(s.securedConnections));
  rows.emplace_back("Lower than 2000 Sessions", std::to_string(s.lowerThan2000Sessions));
  rows.emplace_back("Higher than 2007 Sessions", std::to_string(s.higherThan2007Sessions));
  // Ours, after the seed's lines: why connections went to the generic AO, and what the
  // read-ahead and write optimization saved.
  for (size_t i = 0; i < kHandOffReasonCount; ++i) {
    rows.emplace_back(std::string("Connections Handed-off (") +
                          handOffReasonLabel(static_cast<HandOffReason>(i)) + ")",
                      std::to_string(s.handedOffByReason[i]));
  }
  rows.emplace_back("Read Ahead Bytes Served Locally",
                    std::to_string(s.readAheadBytesServedLocally));
  rows.emplace_back("Write Optimized Bytes", std::to_string(s.writeOptimizedBytes));
  rows.emplace_back("Escaped Association Group Connections", std::to_string(s.escapedConnections));
  rows.emplace_back("Writes Held for the Write Window", std::to_string(s.writeWindowWaits));
  rows.emplace_back("Calls Held for Writes on Other Connections",
                    std::to_string(s.groupWriteWaits));
  rows.emplace_back("Read-Aheads Ended by Release Elsewhere",
                    std::to_string(s.readAheadsEndedByRelease));
  // eMAPI (issue 18).
  rows.emplace_back("Secured Connections Accelerated", std::to_string(s.securedAccelerated));
  rows.emplace_back("Protected PDUs Opened", std::to_string(s.protectedPdusOpened));
  rows.emplace_back("Protected PDUs Sealed", std::to_string(s.protectedPdusSealed));
  rows.emplace_back("Protected PDUs Relayed Verbatim", std::to_string(s.verbatimPdus));
  rows.emplace_back("Connections Reset (PDU did not verify)", std::to_string(s.verbatimResets));

  std::string out = "MAPI:\n  Global Statistics\n  -----------------\n";
  for (const auto& [label, value] : rows) {
    out += globalLine(label, value);
  }
  return out;
}

json MapiCounters::toJson() const {
  const MapiGlobalStats& s = s_;
  json reasons = json::object();
  for (size_t i = 0; i < kHandOffReasonCount; ++i) {
    reasons[handOffReasonName(static_cast<HandOffReason>(i))] = s.handedOffByReason[i];
  }
  return {{"accelerator", "mapi"},
          {"time_accelerator_started", s.startedUnix},
          {"time_statistics_last_reset", s.lastResetUnix},
          {"total_handled_connections", s.totalHandledConnections},
          {"total_optimized_connections", s.totalOptimizedConnections},
          {"total_handed_off_connections", s.totalHandedOffConnections},
          {"total_dropped_connections", s.totalDroppedConnections},
          {"current_active_connections", s.currentActiveConnections},
          {"current_pending_connections", s.currentPendingConnections},
          {"maximum_active_connections", s.maximumActiveConnections},
          {"synch_get_buffer", s.synchGetBuffer.toJson()},
          {"read_stream", s.readStream.toJson()},
          {"read_ahead_accumulated", s.readAheadAccumulated.toJson()},
          {"local_response_usec", s.localResponseUsec.toJson()},
          {"remote_response_usec", s.remoteResponseUsec.toJson()},
          {"current_2000_accelerated_sessions", s.current2000Sessions},
          {"current_2003_accelerated_sessions", s.current2003Sessions},
          {"current_2007_accelerated_sessions", s.current2007Sessions},
          {"secured_connections", s.securedConnections},
          {"lower_than_2000_sessions", s.lowerThan2000Sessions},
          {"higher_than_2007_sessions", s.higherThan2007Sessions},
          {"handed_off_by_reason", reasons},
          {"read_ahead_bytes_served_locally", s.readAheadBytesServedLocally},
          {"write_optimized_bytes", s.writeOptimizedBytes},
          {"escaped_connections", s.escapedConnections},
          {"write_window_waits", s.writeWindowWaits},
          {"group_write_waits", s.groupWriteWaits},
          {"read_aheads_ended_by_release", s.readAheadsEndedByRelease},
          {"secured_accelerated", s.securedAccelerated},
          {"protected_pdus_opened", s.protectedPdusOpened},
          {"protected_pdus_sealed", s.protectedPdusSealed},
          {"verbatim_pdus", s.verbatimPdus},
          {"verbatim_resets", s.verbatimResets}};
}

}  // namespace bh::mapi::mapi_ao
