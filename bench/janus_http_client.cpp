#include "bench/janus_http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace sfu::bench::janus {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Decodes a chunked body; nullopt when incomplete or malformed.
// NOLINTNEXTLINE(readability-function-cognitive-complexity): chunked transfer coding (RFC 9112 7.1) parsed in wire order.
std::optional<std::string> dechunk(std::string_view data) {
  std::string out;
  while (true) {
    size_t eol = data.find("\r\n");
    if (eol == std::string_view::npos || eol == 0) return std::nullopt;
    size_t size = 0;
    size_t digits = 0;
    for (char c : data.substr(0, eol)) {
      if (c == ';') break;
      int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
              : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
              : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                          : -1;
      if (v < 0 || digits >= 15) return std::nullopt;
      size = size * 16 + static_cast<size_t>(v);
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    data.remove_prefix(eol + 2);
    if (size == 0) {  // the last chunk: then trailers (ignored), then an empty line
      if (data.substr(0, 2) == "\r\n" || data.find("\r\n\r\n") != std::string_view::npos) return out;
      return std::nullopt;
    }
    if (data.size() < size + 2 || data.substr(size, 2) != "\r\n") return std::nullopt;
    out.append(data.substr(0, size));
    data.remove_prefix(size + 2);
  }
}

}  // namespace

// NOLINTNEXTLINE(readability-function-cognitive-complexity): status line, headers and body framing of RFC 9112 in wire order.
std::optional<HttpResponse> parse_http_response(std::string_view raw) {
  size_t header_end = raw.find("\r\n\r\n");
  if (header_end == std::string_view::npos) return std::nullopt;
  std::string_view head = raw.substr(0, header_end);
  std::string_view body = raw.substr(header_end + 4);
  size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1.") return std::nullopt;
  HttpResponse response;
  for (size_t i = 9; i < 12; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(status_line[i]))) return std::nullopt;
    response.status = response.status * 10 + (status_line[i] - '0');
  }
  bool chunked = false;
  std::optional<size_t> content_length;
  while (eol != std::string_view::npos) {
    head.remove_prefix(eol + 2);
    eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name = lower(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (name == "transfer-encoding" && lower(value).find("chunked") != std::string::npos) chunked = true;
    if (name == "content-length") {
      size_t n = 0;
      if (value.empty() || value.size() > 15) return std::nullopt;
      for (char c : value) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
        n = n * 10 + static_cast<size_t>(c - '0');
      }
      content_length = n;
    }
  }
  if (chunked) {
    auto decoded = dechunk(body);
    if (!decoded) return std::nullopt;
    response.body = std::move(*decoded);
  } else if (content_length) {
    if (body.size() < *content_length) return std::nullopt;
    response.body = std::string(body.substr(0, *content_length));
  } else {
    response.body = std::string(body);
  }
  return response;
}

// NOLINTNEXTLINE(readability-function-cognitive-complexity): blocking HTTP/1.1 exchange (connect, send, read until complete, timeouts) in order.
std::optional<HttpResponse> http_request(const std::string& host, uint16_t port, const std::string& method,
                                         const std::string& path, const std::string& body, int timeout_ms,
                                         std::string* error) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    *error = "bad host " + host;
    return std::nullopt;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return std::nullopt;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    *error = "connect " + host + ":" + std::to_string(port) + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
                        "\r\nConnection: close\r\n";
  if (method != "GET")
    request += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      *error = std::string("send: ") + std::strerror(errno);
      return std::nullopt;
    }
    sent += static_cast<size_t>(n);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string raw;
  char buffer[16384];
  while (true) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      *error = std::string("timed out waiting for ").append(method).append(" ").append(path);
      return std::nullopt;
    }
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = std::string("recv: ") + std::strerror(errno);
      return std::nullopt;
    }
    if (n == 0) break;
    raw.append(buffer, static_cast<size_t>(n));
    // Stop as soon as the response is complete (some servers keep the connection a while).
    if (auto response = parse_http_response(raw)) {
      if (raw.find("\r\n\r\n") != std::string::npos &&
          (lower(raw.substr(0, raw.find("\r\n\r\n"))).find("content-length") != std::string::npos ||
           lower(raw.substr(0, raw.find("\r\n\r\n"))).find("chunked") != std::string::npos))
        return response;
    }
  }
  auto response = parse_http_response(raw);
  if (!response) *error = "malformed HTTP response to " + method + " " + path;
  return response;
}

}  // namespace sfu::bench::janus
