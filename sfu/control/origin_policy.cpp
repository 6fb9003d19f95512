#include "sfu/control/origin_policy.h"

#include <algorithm>
#include <cctype>

#include "base/socket_address.h"

namespace sfu {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

uint16_t default_port(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

// ":<1-65535>" after a host, or nothing (port 0).
bool parse_port_suffix(std::string_view rest, uint16_t* port) {
  *port = 0;
  if (rest.empty()) return true;
  if (rest.front() != ':' || rest.size() < 2 || rest.size() > 6) return false;
  uint32_t value = 0;
  for (char c : rest.substr(1)) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value == 0 || value > 65535) return false;
  *port = static_cast<uint16_t>(value);
  return true;
}

bool valid_host_char(char c, bool bracketed) {
  if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') return true;
  return bracketed && c == ':';
}

// "host[:port]" or "[v6][:port]" (already lowercased).
bool parse_authority(std::string_view text, std::string* host, uint16_t* port) {
  std::string_view name;
  std::string_view rest;
  const bool bracketed = !text.empty() && text.front() == '[';
  if (bracketed) {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return false;
    name = text.substr(1, close - 1);
    rest = text.substr(close + 1);
    if (!SocketAddress::from_ip(name, 0)) return false;
  } else {
    size_t colon = text.find(':');
    name = text.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
  }
  if (name.empty() ||
      !std::all_of(name.begin(), name.end(), [&](char c) { return valid_host_char(c, bracketed); }))
    return false;
  if (!parse_port_suffix(rest, port)) return false;
  *host = std::string(name);
  return true;
}

bool is_loopback_name(const std::string& host) {
  if (host == "localhost") return true;
  auto address = SocketAddress::from_ip(host, 0);
  return address && address->is_loopback();
}

bool is_address_literal(const std::string& host) { return SocketAddress::from_ip(host, 0).has_value(); }

}  // namespace

OriginPolicy::OriginPolicy(const std::string& listen_host, uint16_t listen_port,
                           const std::vector<std::string>& allowed_origins)
    : listen_host_(lowercase(listen_host)), listen_port_(listen_port) {
  listen_wildcard_ = listen_host_.empty() || listen_host_ == "0.0.0.0" || listen_host_ == "::";
  for (const std::string& entry : allowed_origins) {
    std::string text = lowercase(entry);
    if (!text.empty() && text.back() == '/') text.pop_back();  // "https://host/" as written in configs
    Origin origin;
    if (parse_origin(text, &origin))
      allowed_.push_back(origin);
    else
      allowed_literal_.push_back(text);
  }
}

bool OriginPolicy::parse_origin(std::string_view text, Origin* out) {
  size_t separator = text.find("://");
  if (separator == std::string_view::npos) return false;
  out->scheme = lowercase(text.substr(0, separator));
  if (out->scheme != "http" && out->scheme != "https") return false;
  uint16_t port = 0;
  if (!parse_authority(lowercase(text.substr(separator + 3)), &out->host, &port)) return false;
  out->port = port != 0 ? port : default_port(out->scheme);
  return true;
}

bool OriginPolicy::parse_host_header(std::string_view text, HostHeader* out) {
  return parse_authority(lowercase(text), &out->host, &out->port);
}

bool OriginPolicy::names_this_server(const HostHeader& host) const {
  if ((host.port != 0 ? host.port : 80) != listen_port_) return false;
  if (is_loopback_name(host.host) || host.host == listen_host_) return true;
  // Listening on all interfaces, any address literal reaches this server. A name could be a
  // rebound one; an address literal cannot.
  return listen_wildcard_ && is_address_literal(host.host);
}

bool OriginPolicy::origin_allowed(std::string_view origin_header, std::string_view host_header) const {
  if (origin_header.empty()) return true;
  Origin origin;
  const bool parsed = parse_origin(origin_header, &origin);
  if (!allowed_.empty() || !allowed_literal_.empty()) {
    if (parsed) return std::find(allowed_.begin(), allowed_.end(), origin) != allowed_.end();
    return std::find(allowed_literal_.begin(), allowed_literal_.end(), lowercase(origin_header)) !=
           allowed_literal_.end();
  }
  if (!parsed) return false;
  if (is_loopback_name(origin.host)) return true;
  // The server's own page: the origin is the very authority the browser reached the server by.
  HostHeader host;
  if (!parse_host_header(host_header, &host) || !names_this_server(host)) return false;
  return host.host == origin.host && (host.port != 0 ? host.port : 80) == origin.port;
}

bool OriginPolicy::host_allowed(std::string_view host_header) const {
  if (host_header.empty()) return true;
  HostHeader host;
  if (!parse_host_header(host_header, &host)) return false;
  if (names_this_server(host)) return true;
  return std::any_of(allowed_.begin(), allowed_.end(), [&](const Origin& origin) {
    return origin.host == host.host &&
           (host.port != 0 ? host.port : default_port(origin.scheme)) == origin.port;
  });
}

}  // namespace sfu
