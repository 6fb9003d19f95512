// Whether this machine can bind ::1: containers and CI runners may have IPv6 turned off, and the
// IPv6 tests then skip instead of failing.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include "base/socket_address.h"

namespace sfu::test_support {

inline bool ipv6_loopback_available() {
  int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  SocketAddress address = *SocketAddress::from_ip("::1", 0);
  bool ok = ::bind(fd, address.sockaddr_ptr(), address.length()) == 0;
  ::close(fd);
  return ok;
}

}  // namespace sfu::test_support
