// A tiny blocking HTTP/1.1 client for the Janus REST API: one TCP connection per request
// ("Connection: close"), the whole response read until the server closes. Runs on the Janus
// signaling thread only, never on a client loop.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sfu::bench::janus {

struct HttpResponse {
  int status = 0;
  std::string body;  // de-chunked
};

// Parses a complete response (status line, headers, body by Content-Length, chunked encoding or
// until the end). nullopt when it is not a complete HTTP/1.x response.
std::optional<HttpResponse> parse_http_response(std::string_view raw);

// POST (with a JSON body) or GET `path` on host:port. `timeout_ms` bounds the whole exchange.
std::optional<HttpResponse> http_request(const std::string& host, uint16_t port, const std::string& method,
                                         const std::string& path, const std::string& body, int timeout_ms,
                                         std::string* error);

}  // namespace sfu::bench::janus
