#include "sfu/control/http_bind_target.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/socket_address.h"

namespace sfu::detail {

Result<BindTarget> resolve_bind_target(const std::string& host) {
  if (host.empty() || host == "0.0.0.0" || host == "*") return BindTarget{std::nullopt, false};
  if (host == "::" || host == "[::]") return BindTarget{std::nullopt, true};
  std::string literal = host;
  if (literal.size() > 2 && literal.front() == '[' && literal.back() == ']')
    literal = literal.substr(1, literal.size() - 2);
  if (auto address = SocketAddress::from_ip(literal, 0)) return BindTarget{literal, address->is_v6()};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* results = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &results) != 0 || results == nullptr) {
    return Error{ErrorCode::bind_failed, "cannot resolve HTTP listen host '" + host + "'"};
  }
  // Prefer IPv4 (what "localhost" usually means to people configuring a port).
  const addrinfo* chosen = results;
  for (const addrinfo* r = results; r != nullptr; r = r->ai_next)
    if (r->ai_family == AF_INET) {
      chosen = r;
      break;
    }
  SocketAddress address = SocketAddress::from_sockaddr(chosen->ai_addr);
  freeaddrinfo(results);
  if (!address.valid()) {
    return Error{ErrorCode::bind_failed, "cannot resolve HTTP listen host '" + host + "'"};
  }
  return BindTarget{address.ip_string(), address.is_v6()};
}

std::string bind_failure_reason(const BindTarget& target, uint16_t port) {
  SocketAddress address;
  if (target.iface)
    address = *SocketAddress::from_ip(*target.iface, port);
  else
    address = *SocketAddress::from_ip(target.ipv6 ? "::" : "0.0.0.0", port);
  int fd = socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  std::string reason;
  if (bind(fd, address.sockaddr_ptr(), address.length()) != 0) reason = std::strerror(errno);
  close(fd);
  return reason;
}

}  // namespace sfu::detail
