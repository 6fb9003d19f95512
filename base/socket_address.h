// An IPv4 or IPv6 UDP/TCP address as a small value type: comparable, hashable, printable.
// Used as the key of the 5-tuple tables on the packet path, so it stays trivially copyable.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sfu {

class SocketAddress {
 public:
  SocketAddress() { std::memset(&storage_, 0, sizeof(storage_)); }

  static SocketAddress from_sockaddr(const sockaddr* sa) {
    SocketAddress a;
    if (sa->sa_family == AF_INET)
      std::memcpy(&a.storage_.v4, sa, sizeof(sockaddr_in));
    else if (sa->sa_family == AF_INET6)
      std::memcpy(&a.storage_.v6, sa, sizeof(sockaddr_in6));
    return a;
  }

  // Parses "1.2.3.4" or "::1" with a port; nullopt when the text is not an IP literal.
  static std::optional<SocketAddress> from_ip(std::string_view ip, uint16_t port) {
    std::string text(ip);
    SocketAddress a;
    auto* v4 = &a.storage_.v4;
    auto* v6 = &a.storage_.v6;
    if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
      return a;
    }
    if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port);
      return a;
    }
    return std::nullopt;
  }

  int family() const { return storage_.any.sa_family; }
  bool is_v4() const { return family() == AF_INET; }
  bool is_v6() const { return family() == AF_INET6; }
  bool valid() const { return is_v4() || is_v6(); }

  const sockaddr* sockaddr_ptr() const { return &storage_.any; }
  sockaddr* sockaddr_ptr() { return &storage_.any; }
  socklen_t length() const { return is_v6() ? sizeof(sockaddr_in6) : sizeof(sockaddr_in); }
  const sockaddr_in& v4() const { return storage_.v4; }
  const sockaddr_in6& v6() const { return storage_.v6; }

  uint16_t port() const {
    if (is_v4()) return ntohs(v4().sin_port);
    if (is_v6()) return ntohs(v6().sin6_port);
    return 0;
  }

  bool is_loopback() const {
    if (is_v4()) return (ntohl(v4().sin_addr.s_addr) >> 24) == 127;
    if (is_v6()) return IN6_IS_ADDR_LOOPBACK(&v6().sin6_addr);
    return false;
  }

  std::string ip_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (is_v4())
      inet_ntop(AF_INET, &v4().sin_addr, buf, sizeof(buf));
    else if (is_v6())
      inet_ntop(AF_INET6, &v6().sin6_addr, buf, sizeof(buf));
    return buf;
  }

  // Appends into one string rather than chaining operator+ on temporaries: GCC 12 at -O3 reports a
  // bogus -Wrestrict overlap inside the inlined `"[" + std::string` (GCC bug 105329).
  std::string to_string() const {
    std::string out;
    out.reserve(INET6_ADDRSTRLEN + 8);
    if (is_v6()) out += '[';
    out += ip_string();
    out += is_v6() ? "]:" : ":";
    out += std::to_string(port());
    return out;
  }

  friend bool operator==(const SocketAddress& a, const SocketAddress& b) {
    if (a.family() != b.family()) return false;
    if (a.is_v4())
      return a.v4().sin_port == b.v4().sin_port && a.v4().sin_addr.s_addr == b.v4().sin_addr.s_addr;
    if (a.is_v6())
      return a.v6().sin6_port == b.v6().sin6_port &&
             std::memcmp(&a.v6().sin6_addr, &b.v6().sin6_addr, sizeof(in6_addr)) == 0;
    return true;
  }

  size_t hash() const {
    // FNV-1a over the address bytes and port: cheap, and good enough for a table of peers.
    uint64_t h = 1469598103934665603ull;
    auto mix = [&h](const void* p, size_t n) {
      auto* b = static_cast<const uint8_t*>(p);
      for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
    };
    if (is_v4()) {
      mix(&v4().sin_addr, sizeof(in_addr));
      mix(&v4().sin_port, 2);
    } else if (is_v6()) {
      mix(&v6().sin6_addr, sizeof(in6_addr));
      mix(&v6().sin6_port, 2);
    }
    return static_cast<size_t>(h);
  }

 private:
  // 28 bytes rather than sockaddr_storage's 128: addresses are copied per packet into send batches.
  union Storage {
    sockaddr any;
    sockaddr_in v4;
    sockaddr_in6 v6;
  } storage_;
};

struct SocketAddressHash {
  size_t operator()(const SocketAddress& a) const { return a.hash(); }
};

}  // namespace sfu
