#pragma once

#include <string>

namespace bh::proxy {

/// Drops root for `user`, keeping only CAP_NET_ADMIN and CAP_NET_RAW (needed for TPROXY sockets,
/// SO_MARK, NFQUEUE and the rule tools it runs), also as ambient capabilities so nft/iptables/ip
/// started later keep them. Does nothing (returns true) when not running as root, e.g. under
/// systemd with User= and AmbientCapabilities=. @return false with `error` on failure.
bool dropPrivileges(const std::string& user, std::string& error);

/// sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET, if set.
void notifySystemd(const std::string& state);

}  // namespace bh::proxy
