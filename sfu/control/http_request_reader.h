// Reading an HTTP request out of a libwebsockets connection: lws has already parsed the request
// line and the headers it knows into tokens; this turns them into an HttpRequest (the body
// arrives later, in separate callbacks) and tells who the peer is.
#pragma once

#include <libwebsockets.h>

#include <map>
#include <string>
#include <string_view>

#include "sfu/control/http_server.h"

namespace sfu::detail {

// ASCII lowercase: header names are case-insensitive and kept lowercased.
std::string lowercase(std::string_view text);

// One header's value ("" when absent), as lws stored it.
std::string copy_header(lws* wsi, lws_token_indexes token);

// Method, path (as lws passed it with LWS_CALLBACK_HTTP), query and headers; no body.
HttpRequest read_request(lws* wsi, std::string_view path);

// The peer's "ip:port" (IPv4-mapped IPv6 addresses shown as IPv4), or "" when unknown.
std::string peer_address(lws* wsi);

// The IP address (without port, IPv4-mapped shown as IPv4) of the peer of socket `fd`, or "".
std::string peer_ip(int fd);

}  // namespace sfu::detail
