#pragma once

// `show wccp status | services | routers | clients | masks | gre | statistics`, in the words of
// the WAAS CLI (a WAE's "Routers Seeing this Wide Area Engine", "Lead WAE", "Transparent GRE
// packets received"), text and --json, rendered from the WCCP agent's plain status
// (redirect/wccp_status.h): pure functions, tested byte for byte.

#include <nlohmann/json.hpp>
#include <string>

#include "redirect/wccp_status.h"

namespace bh::proxy {

/// "TCP Promiscuous 61", "Dynamic Service 90", "Web Cache (HTTP)", "Standard Service 5".
std::string wccpServiceName(const redirect::wccp::ServiceInfo& service);

std::string showWccpStatus(const redirect::WccpStatus& s);
std::string showWccpServices(const redirect::WccpStatus& s);
std::string showWccpRouters(const redirect::WccpStatus& s);
std::string showWccpClients(const redirect::WccpStatus& s);
std::string showWccpMasks(const redirect::WccpStatus& s);
std::string showWccpGre(const redirect::WccpStatus& s);
std::string showWccpStatistics(const redirect::WccpStatus& s);
/// Everything `show wccp ... --json` answers (each subcommand returns all of it).
nlohmann::json wccpJson(const redirect::WccpStatus& s);

/// The control reply for `show wccp WHAT` (WHAT one of the seven; anything else an error).
nlohmann::json showWccp(const redirect::WccpStatus& s, const std::string& what);

}  // namespace bh::proxy
