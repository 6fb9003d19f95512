// Which browsers' pages may use the control port. Two attacks need a victim's browser:
// - cross-site WebSocket hijacking: any page the user opens can call
//   new WebSocket("ws://127.0.0.1:8080/v1/rtc"); the browser names that page in `Origin`;
// - DNS rebinding: a hostile name made to resolve to 127.0.0.1 makes the server "same-origin" to
//   the hostile page, which can then read REST answers; the browser still sends that name as
//   `Host`.
// Clients that are not browsers send no Origin (and cannot be rebound), so they are allowed.
// Pure functions of the header values; see docs/protocol.md 2.1 and 5 for the contract.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sfu {

class OriginPolicy {
 public:
  // listen_host: the host of http.listen (an address literal; "", "0.0.0.0" or "::" = all
  // interfaces); listen_port: the bound port. allowed_origins: http.allowed_origins.
  OriginPolicy(const std::string& listen_host, uint16_t listen_port,
               const std::vector<std::string>& allowed_origins);

  // May a page of `origin` (the Origin header, "" when absent) use this server, reached as
  // `host_header`? With allowed_origins empty: the server's own origin (the Host names this server,
  // see host_allowed, and the origin is that same scheme-less authority) and pages from loopback
  // hosts (localhost, 127.0.0.0/8, [::1], any port). Otherwise: exactly the listed origins.
  bool origin_allowed(std::string_view origin, std::string_view host_header) const;

  // Does `host_header` ("" when absent) name this server: its listen address (any address literal
  // when it listens on all interfaces) or a loopback name, with the listen port; or the host of
  // an allowed origin?
  bool host_allowed(std::string_view host_header) const;

 private:
  struct Origin {
    std::string scheme;  // "http" or "https"
    std::string host;    // lowercased; IPv6 without brackets
    uint16_t port = 0;   // the scheme's default when the origin names none
    bool operator==(const Origin& other) const {
      return scheme == other.scheme && host == other.host && port == other.port;
    }
  };
  struct HostHeader {
    std::string host;   // lowercased; IPv6 without brackets
    uint16_t port = 0;  // 0 when the header names none
  };
  static bool parse_origin(std::string_view text, Origin* out);
  static bool parse_host_header(std::string_view text, HostHeader* out);
  bool names_this_server(const HostHeader& host) const;

  std::string listen_host_;
  bool listen_wildcard_ = false;
  uint16_t listen_port_ = 0;
  std::vector<Origin> allowed_;
  std::vector<std::string> allowed_literal_;  // entries that are no http(s) origin, e.g. "null"
};

}  // namespace sfu
