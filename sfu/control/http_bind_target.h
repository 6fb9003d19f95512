// Where the HTTP server listens: the configured host turned into what libwebsockets binds, and,
// since lws only reports that binding failed, the reason found by binding a probe socket.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"

namespace sfu::detail {

// What lws should bind: an IP literal (nullopt iface = all interfaces) and whether IPv6 is needed.
struct BindTarget {
  std::optional<std::string> iface;
  bool ipv6 = false;
};

// "" / "0.0.0.0" / "*" and "::" / "[::]" mean all interfaces; an IP literal (IPv6 optionally in
// brackets) is used as is; a name is resolved, preferring IPv4. bind_failed when a name does not
// resolve.
Result<BindTarget> resolve_bind_target(const std::string& host);

// Binds a probe socket to the target and port the way lws would: the strerror text of the failure,
// or "" when the bind would succeed.
std::string bind_failure_reason(const BindTarget& target, uint16_t port);

}  // namespace sfu::detail
