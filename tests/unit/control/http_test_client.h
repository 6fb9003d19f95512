// The client side of the HttpServer tests: a plain POSIX-socket HTTP/1.1 client and a minimal
// RFC 6455 WebSocket client, written here so the server is checked against code that shares
// nothing with libwebsockets. Every read is bounded by kWait.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "tests/unit/control/http_server_harness.h"

namespace sfu::http_test {

inline std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// A TCP connection to 127.0.0.1:port, from `source_ip` (another loopback address, e.g. 127.0.0.2)
// when given.
inline int connect_to(uint16_t port, const char* source_ip = nullptr) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval timeout{static_cast<time_t>(kWait.count()), 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  if (source_ip != nullptr) {
    sockaddr_in source{};
    source.sin_family = AF_INET;
    inet_pton(AF_INET, source_ip, &source.sin_addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof(source)) != 0) {
      close(fd);
      return -1;
    }
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

class Socket {
 public:
  explicit Socket(uint16_t port, const char* source_ip = nullptr) : fd_(connect_to(port, source_ip)) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  bool send_all(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Reads until `buffer_` holds at least n bytes; false on EOF, error or timeout.
  bool fill(size_t n) {
    char chunk[16384];
    while (buffer_.size() < n) {
      ssize_t got = recv(fd_, chunk, sizeof(chunk), 0);
      if (got <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(got));
    }
    return true;
  }
  // Reads up to the blank line that ends an HTTP head and takes the head (without that line) out of
  // the buffer; false on EOF, error or timeout.
  bool read_head(std::string& head) {
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!fill(buffer_.size() + 1)) return false;
    head = buffer_.substr(0, header_end);
    buffer_.erase(0, header_end + 4);
    return true;
  }
  // True when the peer has closed the connection (EOF or reset) with nothing more to read.
  bool peer_closed() {
    char c;
    ssize_t got = recv(fd_, &c, 1, 0);
    if (got > 0) buffer_.push_back(c);
    return got == 0 || (got < 0 && errno == ECONNRESET);
  }
  std::string& buffer() { return buffer_; }

 private:
  int fd_;
  std::string buffer_;
};

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercased names
  std::string body;
};

// Reads one HTTP/1.1 response with a content-length (or none for 204) from the socket.
inline std::optional<Response> read_response(Socket& socket) {
  std::string head;
  if (!socket.read_head(head)) return std::nullopt;
  Response response;
  if (head.rfind("HTTP/1.1 ", 0) != 0) return std::nullopt;
  response.status = std::stoi(head.substr(9, 3));
  size_t line_start = head.find("\r\n");
  while (line_start != std::string::npos) {
    line_start += 2;
    size_t line_end = head.find("\r\n", line_start);
    std::string line =
        head.substr(line_start, line_end == std::string::npos ? std::string::npos : line_end - line_start);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = lowercase(line.substr(0, colon));
      size_t value_start = line.find_first_not_of(' ', colon + 1);
      response.headers[name] = value_start == std::string::npos ? "" : line.substr(value_start);
    }
    line_start = line_end;
  }
  size_t length = 0;
  if (auto it = response.headers.find("content-length"); it != response.headers.end())
    length = std::stoul(it->second);
  if (!socket.fill(length)) return std::nullopt;
  response.body = socket.buffer().substr(0, length);
  socket.buffer().erase(0, length);
  return response;
}

inline std::string request_text(std::string_view method, std::string_view target, std::string_view body = {},
                                std::string_view extra_headers = {}) {
  std::string text = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  text += extra_headers;
  if (!body.empty() || method == "POST" || method == "PUT")
    text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  text += "\r\n";
  text += body;
  return text;
}

inline std::string base64(const unsigned char* data, size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<size_t>(n));
  return out;
}

struct Frame {
  bool fin = false;
  int opcode = -1;
  std::string payload;
};

class WsClient {
 public:
  explicit WsClient(uint16_t port, const char* source_ip = nullptr) : socket_(port, source_ip) {}

  // RFC 6455 section 4.1 client handshake; checks 101 and Sec-WebSocket-Accept. `headers` replace
  // the default "Host: 127.0.0.1\r\n" (each line ends with \r\n), e.g. to add an Origin.
  bool handshake(const std::string& path = "/v1/rtc", const std::string& headers = "Host: 127.0.0.1\r\n") {
    if (!socket_.ok()) return false;
    std::string key = send_upgrade(path, headers);
    std::string head;
    if (key.empty() || !socket_.read_head(head)) return false;
    if (head.rfind("HTTP/1.1 101", 0) != 0) return false;
    std::string accept_input = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(accept_input.data()), accept_input.size(), digest);
    return lowercase(head).find("sec-websocket-accept: " + lowercase(base64(digest, sizeof(digest)))) !=
           std::string::npos;
  }

  // Sends the upgrade request; returns its Sec-WebSocket-Key ("" when sending failed). For a refused
  // upgrade, read the answer with read_response(socket()).
  std::string send_upgrade(const std::string& path, const std::string& headers = "Host: 127.0.0.1\r\n") {
    unsigned char nonce[16];
    for (auto& b : nonce) b = static_cast<unsigned char>(rng_());
    std::string key = base64(nonce, sizeof(nonce));
    std::string request = "GET " + path + " HTTP/1.1\r\n" + headers +
                          "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                          "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    return socket_.send_all(request) ? key : std::string();
  }

  // One masked frame (clients must mask, RFC 6455 5.3).
  bool send_frame(int opcode, std::string_view payload, bool fin = true) {
    std::string frame;
    frame += static_cast<char>((fin ? 0x80 : 0) | opcode);
    if (payload.size() < 126) {
      frame += static_cast<char>(0x80 | payload.size());
    } else if (payload.size() <= 0xFFFF) {
      frame += static_cast<char>(0x80 | 126);
      frame += static_cast<char>(payload.size() >> 8);
      frame += static_cast<char>(payload.size() & 0xFF);
    } else {
      frame += static_cast<char>(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8)
        frame += static_cast<char>((payload.size() >> shift) & 0xFF);
    }
    unsigned char mask[4];
    for (auto& b : mask) b = static_cast<unsigned char>(rng_());
    frame.append(reinterpret_cast<char*>(mask), 4);
    for (size_t i = 0; i < payload.size(); ++i) frame += static_cast<char>(payload[i] ^ mask[i % 4]);
    return socket_.send_all(frame);
  }
  bool send_text(std::string_view text) { return send_frame(0x1, text); }
  bool send_close(uint16_t code) {
    std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    return send_frame(0x8, payload);
  }

  std::optional<Frame> read_frame() {
    if (!socket_.fill(2)) return std::nullopt;
    auto byte = [&](size_t i) { return static_cast<unsigned char>(socket_.buffer()[i]); };
    Frame frame;
    frame.fin = (byte(0) & 0x80) != 0;
    frame.opcode = byte(0) & 0x0F;
    if (byte(1) & 0x80) return std::nullopt;  // servers never mask
    uint64_t length = byte(1) & 0x7F;
    size_t offset = 2;
    if (length == 126) {
      if (!socket_.fill(4)) return std::nullopt;
      length = (uint64_t{byte(2)} << 8) | byte(3);
      offset = 4;
    } else if (length == 127) {
      if (!socket_.fill(10)) return std::nullopt;
      length = 0;
      for (size_t i = 2; i < 10; ++i) length = (length << 8) | byte(i);
      offset = 10;
    }
    if (!socket_.fill(offset + length)) return std::nullopt;
    frame.payload = socket_.buffer().substr(offset, length);
    socket_.buffer().erase(0, offset + length);
    return frame;
  }
  // Reads a whole message, joining continuation frames.
  std::optional<Frame> read_message() {
    auto first = read_frame();
    if (!first) return std::nullopt;
    Frame message = *first;
    while (!message.fin) {
      auto next = read_frame();
      if (!next || next->opcode != 0x0) return std::nullopt;
      message.payload += next->payload;
      message.fin = next->fin;
    }
    return message;
  }

  Socket& socket() { return socket_; }

 private:
  Socket socket_;
  std::mt19937 rng_{42};
};

inline uint16_t close_code(const Frame& frame) {
  if (frame.payload.size() < 2) return 0;
  return static_cast<uint16_t>((static_cast<unsigned char>(frame.payload[0]) << 8) |
                               static_cast<unsigned char>(frame.payload[1]));
}

}  // namespace sfu::http_test
