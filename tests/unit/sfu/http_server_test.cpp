// HttpServer against real clients over loopback: a plain POSIX-socket HTTP/1.1 client and a
// minimal RFC 6455 WebSocket client written here. The server runs on a libuv loop on its own
// thread; the test thread talks to it only through sockets and a task queue (uv_async).
#include "sfu/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace sfu {
namespace {

// Generous bound so a broken server fails the test instead of hanging it; never a timing check.
constexpr auto kWait = std::chrono::seconds(10);

std::string big_body(size_t size) {
  std::string body(size, '\0');
  std::mt19937 rng(1234);
  for (char& c : body) c = static_cast<char>('a' + rng() % 26);
  return body;
}

// ---- Server side: loop thread, task queue, event log ----

class EventLog {
 public:
  void add(std::string event) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
    cv_.notify_all();
  }
  // Waits until `event` has been logged `times` times.
  bool wait_for(const std::string& event, size_t times = 1) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, kWait, [&] { return count_locked(event) >= times; });
  }
  size_t count(const std::string& event) {
    std::lock_guard lock(mutex_);
    return count_locked(event);
  }
  std::vector<std::string> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  size_t count_locked(const std::string& event) const {
    return static_cast<size_t>(std::count(events_.begin(), events_.end(), event));
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
};

class ServerHarness {
 public:
  explicit ServerHarness(HttpServer::Options options = test_options()) {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &async_, [](uv_async_t* a) { static_cast<ServerHarness*>(a->data)->drain(); });
    async_.data = this;
    server_ = std::make_unique<HttpServer>(&loop_, options, "/v1/rtc", handlers());
  }
  ~ServerHarness() { shutdown(); }

  static HttpServer::Options test_options() {
    HttpServer::Options options;
    options.host = "127.0.0.1";
    options.port = 0;
    return options;
  }

  bool start(std::string* error) {
    bool ok = server_->start(error);
    if (ok) thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
    return ok;
  }
  uint16_t port() const { return server_->port(); }
  HttpServer& server() { return *server_; }
  EventLog& log() { return log_; }
  int http_calls() const { return http_calls_.load(); }

  // Runs fn on the loop thread and waits for it.
  void run_on_loop(std::function<void()> fn) {
    std::promise<void> done;
    auto future = done.get_future();
    {
      std::lock_guard lock(tasks_mutex_);
      tasks_.push_back([&] {
        fn();
        done.set_value();
      });
    }
    uv_async_send(&async_);
    future.wait();
  }

  // Destroys the server on the loop without stop() first.
  void destroy_server() {
    run_on_loop([this] { server_.reset(); });
  }

  // Stops and destroys the server on the loop, lets the loop run dry, and checks nothing is left.
  void shutdown() {
    if (shut_down_) return;
    shut_down_ = true;
    if (thread_.joinable()) {
      run_on_loop([this] {
        if (server_) server_->stop();
        server_.reset();
        uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
      });
      thread_.join();
    } else {
      server_.reset();
      uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
      uv_run(&loop_, UV_RUN_DEFAULT);
    }
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "handles left on the loop after the server was destroyed";
  }

 private:
  HttpServer::Handlers handlers() {
    HttpServer::Handlers h;
    h.on_http = [this](const HttpRequest& request) { return on_http(request); };
    h.on_ws_open = [this](WebSocketSession& s) {
      EXPECT_EQ(server_->find_session(s.id()), &s);
      log_.add("remote:" + s.remote_address().substr(0, s.remote_address().find(':')));
      log_.add("open:" + std::to_string(s.id()));  // last: tests wait for it
    };
    h.on_ws_message = [this](WebSocketSession& s, std::string_view message) { on_ws_message(s, message); };
    h.on_ws_close = [this](WebSocketSession& s) {
      EXPECT_EQ(server_->find_session(s.id()), nullptr);
      log_.add("close:" + std::to_string(s.id()));
    };
    h.on_ws_protocol_error = [this](WebSocketSession& s, std::string_view reason) {
      log_.add("error:" + std::to_string(s.id()) + ":" + std::string(reason));
    };
    return h;
  }

  HttpResponse on_http(const HttpRequest& request) {
    ++http_calls_;
    HttpResponse response;
    if (request.path == "/echo") {
      nlohmann::json headers = nlohmann::json::object();
      for (const auto& [name, value] : request.headers) headers[name] = value;
      response.body = nlohmann::json{
          {"method", request.method},
          {"path", request.path},
          {"query", request.query},
          {"headers", headers},
          {"body",
           request.body}}.dump();
      response.headers.push_back({"X-Echo", "yes"});
    } else if (request.path == "/big") {
      response.content_type = "application/octet-stream";
      response.body = big_body(200 * 1024);
    } else if (request.path == "/empty") {
      response.status = 204;
      response.content_type.clear();
    } else if (request.path == "/throw") {
      throw std::runtime_error("handler failure");
    } else {
      response.status = 404;
      response.body = R"({"error":{"code":"not_found","message":"no such resource"}})";
    }
    return response;
  }

  void on_ws_message(WebSocketSession& s, std::string_view message) {
    log_.add("message:" + std::to_string(s.id()) + ":" + std::to_string(message.size()));
    if (message == "stop-server") {
      server_->stop();
      s.send_text("ignored after stop");
      log_.add("stopped");
    } else if (message == "destroy-server") {
      server_.reset();
      log_.add("destroyed");
    } else if (message == "close-me") {
      s.close(4001, "bye");
    } else if (message == "burst-then-close") {
      for (int i = 0; i < 3; ++i) s.send_text("burst " + std::to_string(i));
      s.close(1000, "done");
    } else if (message == "overflow") {
      for (int i = 0; i < 10; ++i) s.send_text(std::string(300, 'x'));  // queue limit in that test: 1000
    } else if (message == "big") {
      s.send_text(big_body(100 * 1024));
    } else {
      s.send_text("echo:" + std::string(message));
    }
  }

  void drain() {
    std::vector<std::function<void()>> tasks;
    {
      std::lock_guard lock(tasks_mutex_);
      tasks.swap(tasks_);
    }
    for (auto& task : tasks) task();
  }

  uv_loop_t loop_;
  uv_async_t async_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::mutex tasks_mutex_;
  std::vector<std::function<void()>> tasks_;
  EventLog log_;
  std::atomic<int> http_calls_{0};
  bool shut_down_ = false;
};

// ---- Client side ----

int connect_to(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval timeout{static_cast<time_t>(kWait.count()), 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
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
  explicit Socket(uint16_t port) : fd_(connect_to(port)) {}
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
std::optional<Response> read_response(Socket& socket) {
  size_t header_end;
  while ((header_end = socket.buffer().find("\r\n\r\n")) == std::string::npos)
    if (!socket.fill(socket.buffer().size() + 1)) return std::nullopt;
  std::string head = socket.buffer().substr(0, header_end);
  socket.buffer().erase(0, header_end + 4);
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
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
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

std::string request_text(std::string_view method, std::string_view target, std::string_view body = {},
                         std::string_view extra_headers = {}) {
  std::string text = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  text += extra_headers;
  if (!body.empty() || method == "POST" || method == "PUT")
    text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  text += "\r\n";
  text += body;
  return text;
}

std::string base64(const unsigned char* data, size_t size) {
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
  explicit WsClient(uint16_t port) : socket_(port) {}

  // RFC 6455 section 4.1 client handshake; checks 101 and Sec-WebSocket-Accept.
  bool handshake(const std::string& path = "/v1/rtc") {
    if (!socket_.ok()) return false;
    unsigned char nonce[16];
    for (auto& b : nonce) b = static_cast<unsigned char>(rng_());
    std::string key = base64(nonce, sizeof(nonce));
    std::string request = "GET " + path +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: " +
                          key + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (!socket_.send_all(request)) return false;
    size_t header_end;
    while ((header_end = socket_.buffer().find("\r\n\r\n")) == std::string::npos)
      if (!socket_.fill(socket_.buffer().size() + 1)) return false;
    std::string head = socket_.buffer().substr(0, header_end);
    socket_.buffer().erase(0, header_end + 4);
    if (head.rfind("HTTP/1.1 101", 0) != 0) return false;
    std::string accept_input = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(accept_input.data()), accept_input.size(), digest);
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower.find("sec-websocket-accept: " + lowercase(base64(digest, sizeof(digest)))) !=
           std::string::npos;
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
  static std::string lowercase(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  Socket socket_;
  std::mt19937 rng_{42};
};

uint16_t close_code(const Frame& frame) {
  if (frame.payload.size() < 2) return 0;
  return static_cast<uint16_t>((static_cast<unsigned char>(frame.payload[0]) << 8) |
                               static_cast<unsigned char>(frame.payload[1]));
}

// ---- HTTP ----

TEST(HttpServer, GetReachesHandlerWithQueryAndHeaders) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  ASSERT_NE(harness.port(), 0);
  Socket client(harness.port());
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(
      client.send_all(request_text("GET", "/echo?room=demo&x=1", {},
                                   "Authorization: Bearer abc.def.ghi\r\nContent-Type: text/plain\r\n")));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers["content-type"], "application/json");
  EXPECT_EQ(response->headers["x-echo"], "yes");
  auto echoed = nlohmann::json::parse(response->body);
  EXPECT_EQ(echoed["method"], "GET");
  EXPECT_EQ(echoed["path"], "/echo");
  EXPECT_EQ(echoed["query"], "room=demo&x=1");
  EXPECT_EQ(echoed["headers"]["authorization"], "Bearer abc.def.ghi");
  EXPECT_EQ(echoed["headers"]["content-type"], "text/plain");
  EXPECT_EQ(echoed["headers"]["host"], "127.0.0.1");
  EXPECT_EQ(echoed["body"], "");
}

TEST(HttpServer, PostBodyIsCollected) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  std::string body = nlohmann::json{{"name", "room-1"}, {"pad", std::string(20000, 'p')}}.dump();
  ASSERT_TRUE(client.send_all(request_text("POST", "/echo", body, "Content-Type: application/json\r\n")));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  auto echoed = nlohmann::json::parse(response->body);
  EXPECT_EQ(echoed["method"], "POST");
  EXPECT_EQ(echoed["body"], body);
  EXPECT_EQ(echoed["headers"]["content-type"], "application/json");
}

TEST(HttpServer, PutAndDeleteMethods) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  ASSERT_TRUE(client.send_all(request_text("DELETE", "/echo")));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(nlohmann::json::parse(response->body)["method"], "DELETE");
  ASSERT_TRUE(client.send_all(request_text("PUT", "/echo", "{}")));
  response = read_response(client);
  ASSERT_TRUE(response);
  auto echoed = nlohmann::json::parse(response->body);
  EXPECT_EQ(echoed["method"], "PUT");
  EXPECT_EQ(echoed["body"], "{}");
}

TEST(HttpServer, OversizedBodyGets413WithoutHandlerCall) {
  HttpServer::Options options = ServerHarness::test_options();
  options.max_body_bytes = 1000;
  ServerHarness harness(options);
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  // The whole body is sent: the server reads and drops it, answers 413 and keeps the connection.
  Socket client(harness.port());
  client.send_all(request_text("POST", "/echo", std::string(70000, 'b')));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->headers["content-type"], "application/json");
  auto body = nlohmann::json::parse(response->body);
  EXPECT_EQ(body["error"]["code"], "payload_too_large");
  EXPECT_TRUE(body["error"]["message"].is_string());
  EXPECT_EQ(harness.http_calls(), 0);
  ASSERT_TRUE(
      client.send_all(request_text("POST", "/echo", std::string(1000, 'c'))));  // exactly at the limit
  response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(nlohmann::json::parse(response->body)["body"], std::string(1000, 'c'));
  EXPECT_EQ(harness.http_calls(), 1);
}

TEST(HttpServer, HugeDeclaredBodyGets413AtOnceAndClose) {
  HttpServer::Options options = ServerHarness::test_options();
  options.max_body_bytes = 1000;
  ServerHarness harness(options);
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  ASSERT_TRUE(client.send_all("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->headers["connection"], "close");
  EXPECT_EQ(nlohmann::json::parse(response->body)["error"]["code"], "payload_too_large");
  EXPECT_TRUE(client.peer_closed());
  EXPECT_EQ(harness.http_calls(), 0);
}

TEST(HttpServer, ChunkedRequestBodyIsRefused) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  ASSERT_TRUE(client.send_all("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 411);
  EXPECT_EQ(nlohmann::json::parse(response->body)["error"]["code"], "length_required");
  EXPECT_TRUE(client.peer_closed());
  EXPECT_EQ(harness.http_calls(), 0);
}

TEST(HttpServer, LargeResponseArrivesIntact) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  ASSERT_TRUE(client.send_all(request_text("GET", "/big")));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers["content-type"], "application/octet-stream");
  EXPECT_EQ(response->body.size(), 200u * 1024);
  EXPECT_TRUE(response->body == big_body(200 * 1024));
}

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnection) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  ASSERT_TRUE(client.send_all(request_text("GET", "/echo?n=1")));
  auto first = read_response(client);
  ASSERT_TRUE(first);
  EXPECT_EQ(nlohmann::json::parse(first->body)["query"], "n=1");
  ASSERT_TRUE(client.send_all(request_text("GET", "/big")));
  auto second = read_response(client);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body.size(), 200u * 1024);
  ASSERT_TRUE(client.send_all(request_text("POST", "/echo", "third")));
  auto third = read_response(client);
  ASSERT_TRUE(third);
  EXPECT_EQ(nlohmann::json::parse(third->body)["body"], "third");
  ASSERT_TRUE(client.send_all(request_text("GET", "/empty")));
  auto fourth = read_response(client);
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->status, 204);
  EXPECT_TRUE(fourth->body.empty());
  ASSERT_TRUE(client.send_all(request_text("GET", "/missing")));
  auto fifth = read_response(client);
  ASSERT_TRUE(fifth);
  EXPECT_EQ(fifth->status, 404);
  EXPECT_EQ(nlohmann::json::parse(fifth->body)["error"]["code"], "not_found");
  EXPECT_EQ(harness.http_calls(), 5);
}

TEST(HttpServer, HeadAndOptions) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  ASSERT_TRUE(client.send_all(request_text("OPTIONS", "/echo")));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(nlohmann::json::parse(response->body)["method"], "OPTIONS");
  // HEAD: the headers of the GET answer, no body; the connection stays usable.
  ASSERT_TRUE(client.send_all(request_text("HEAD", "/big")));
  size_t header_end;
  while ((header_end = client.buffer().find("\r\n\r\n")) == std::string::npos)
    ASSERT_TRUE(client.fill(client.buffer().size() + 1));
  std::string head = client.buffer().substr(0, header_end);
  client.buffer().erase(0, header_end + 4);
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  EXPECT_NE(head.find("content-length: 204800"), std::string::npos) << head;
  ASSERT_TRUE(client.send_all(request_text("GET", "/echo?after=head")));
  response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(nlohmann::json::parse(response->body)["method"], "GET");
}

TEST(HttpServer, PathAndQueryArePercentDecodedByLws) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  ASSERT_TRUE(client.send_all(request_text("GET", "/ech%6F?name=a%20b&x=1")));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  auto echoed = nlohmann::json::parse(response->body);
  EXPECT_EQ(echoed["path"], "/echo");
  EXPECT_EQ(echoed["query"], "name=a b&x=1");
}

TEST(HttpServer, HandlerExceptionBecomes500) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  ASSERT_TRUE(client.send_all(request_text("GET", "/throw")));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(nlohmann::json::parse(response->body)["error"]["code"], "internal_error");
  ASSERT_TRUE(client.send_all(request_text("GET", "/echo")));  // the connection survives
  response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST(HttpServer, PlainGetOnWebSocketPathGoesToHttpHandler) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  ASSERT_TRUE(client.send_all(request_text("GET", "/v1/rtc")));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(harness.http_calls(), 1);
}

TEST(HttpServer, StartFailsClearlyWhenPortIsTaken) {
  ServerHarness first;
  std::string error;
  ASSERT_TRUE(first.start(&error)) << error;
  HttpServer::Options options = ServerHarness::test_options();
  options.port = first.port();
  ServerHarness second(options);
  EXPECT_FALSE(second.start(&error));
  EXPECT_NE(error.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())), std::string::npos)
      << error;
  EXPECT_NE(error.find("in use"), std::string::npos) << error;
}

TEST(HttpServer, StartFailsOnAddressNotLocal) {
  HttpServer::Options options = ServerHarness::test_options();
  options.host = "192.0.2.1";  // TEST-NET-1, never assigned to this machine
  options.port = 1;
  ServerHarness harness(options);
  std::string error;
  EXPECT_FALSE(harness.start(&error));
  EXPECT_NE(error.find("cannot listen"), std::string::npos) << error;
}

TEST(HttpServer, StopWithoutStartAndDoubleStopAreHarmless) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    HttpServer server(&loop, ServerHarness::test_options(), "/v1/rtc", {});
    server.stop();
  }
  {
    HttpServer server(&loop, ServerHarness::test_options(), "/v1/rtc", {});
    std::string error;
    ASSERT_TRUE(server.start(&error)) << error;
    server.stop();
    server.stop();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

// ---- WebSocket ----

TEST(HttpServerWebSocket, ExchangesTextMessages) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  ASSERT_TRUE(client.handshake());
  ASSERT_TRUE(harness.log().wait_for("open:1"));
  EXPECT_EQ(harness.log().count("remote:127.0.0.1"), 1u);
  ASSERT_TRUE(client.send_text("hello"));
  auto reply = client.read_message();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->opcode, 0x1);
  EXPECT_EQ(reply->payload, "echo:hello");
  ASSERT_TRUE(client.send_text(""));
  reply = client.read_message();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->payload, "echo:");
  ASSERT_TRUE(client.send_text("big"));
  reply = client.read_message();
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->payload == big_body(100 * 1024));
  EXPECT_EQ(harness.server().session_count(), 1u);
}

TEST(HttpServerWebSocket, ReassemblesFragments) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  ASSERT_TRUE(client.handshake());
  ASSERT_TRUE(client.send_frame(0x1, "frag", false));
  ASSERT_TRUE(client.send_frame(0x9, "ping in between"));  // control frames may interleave
  ASSERT_TRUE(client.send_frame(0x0, "men", false));
  ASSERT_TRUE(client.send_frame(0x0, "ted", true));
  auto pong = client.read_frame();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->opcode, 0xA);
  EXPECT_EQ(pong->payload, "ping in between");
  auto reply = client.read_message();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->payload, "echo:fragmented");
  // A message of 60 000 bytes (under the limit) split by lws's receive buffer arrives whole.
  ASSERT_TRUE(client.send_text(std::string(60000, 'z')));
  ASSERT_TRUE(harness.log().wait_for("message:1:60000"));
  reply = client.read_message();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->payload.size(), 5u + 60000u);
}

TEST(HttpServerWebSocket, OversizedMessageReportsErrorAndSessionStaysUsable) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  ASSERT_TRUE(client.handshake());
  ASSERT_TRUE(client.send_text(std::string(70 * 1024, 'x')));
  ASSERT_TRUE(harness.log().wait_for("error:1:message larger than 65536 bytes"));
  // Also when the excess comes in a later fragment.
  ASSERT_TRUE(client.send_frame(0x1, std::string(40000, 'a'), false));
  ASSERT_TRUE(client.send_frame(0x0, std::string(40000, 'b'), true));
  ASSERT_TRUE(harness.log().wait_for("error:1:message larger than 65536 bytes", 2));
  ASSERT_TRUE(client.send_text("still here"));
  auto reply = client.read_message();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->payload, "echo:still here");
  for (const auto& event : harness.log().events()) EXPECT_NE(event, "message:1:71680");
  EXPECT_EQ(harness.log().count("close:1"), 0u);
}

TEST(HttpServerWebSocket, BinaryMessageReportsErrorAndIsDiscarded) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  ASSERT_TRUE(client.handshake());
  ASSERT_TRUE(client.send_frame(0x2, std::string("\x01\x02\x03", 3)));
  ASSERT_TRUE(harness.log().wait_for("error:1:binary messages are not supported"));
  ASSERT_TRUE(client.send_text("after"));
  auto reply = client.read_message();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->payload, "echo:after");
  EXPECT_EQ(harness.log().count("message:1:3"), 0u);
}

TEST(HttpServerWebSocket, ClientCloseCallsOnCloseOnce) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  {
    WsClient client(harness.port());
    ASSERT_TRUE(client.handshake());
    ASSERT_TRUE(harness.log().wait_for("open:1"));
    ASSERT_TRUE(client.send_close(1000));
    auto echo = client.read_frame();  // the server answers the close
    ASSERT_TRUE(echo);
    EXPECT_EQ(echo->opcode, 0x8);
    ASSERT_TRUE(harness.log().wait_for("close:1"));
  }
  {
    WsClient client(harness.port());  // dropped without a close frame
    ASSERT_TRUE(client.handshake());
    ASSERT_TRUE(harness.log().wait_for("open:2"));
  }
  ASSERT_TRUE(harness.log().wait_for("close:2"));
  harness.run_on_loop([&] {
    EXPECT_EQ(harness.server().find_session(1), nullptr);
    EXPECT_EQ(harness.server().session_count(), 0u);
  });
  harness.shutdown();
  EXPECT_EQ(harness.log().count("close:1"), 1u);
  EXPECT_EQ(harness.log().count("close:2"), 1u);
}

TEST(HttpServerWebSocket, ServerCloseReachesClient) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  ASSERT_TRUE(client.handshake());
  ASSERT_TRUE(client.send_text("close-me"));
  auto frame = client.read_frame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, 0x8);
  EXPECT_EQ(close_code(*frame), 4001);
  EXPECT_EQ(frame->payload.substr(2), "bye");
  ASSERT_TRUE(client.send_close(4001));
  ASSERT_TRUE(harness.log().wait_for("close:1"));
  EXPECT_TRUE(client.socket().peer_closed());
  harness.shutdown();
  EXPECT_EQ(harness.log().count("close:1"), 1u);
}

TEST(HttpServerWebSocket, ServerCloseEndsEvenIfThePeerNeverAnswers) {
  HttpServer::Options options = ServerHarness::test_options();
  options.ws_close_grace_seconds = 1;
  ServerHarness harness(options);
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  ASSERT_TRUE(client.handshake());
  ASSERT_TRUE(client.send_text("close-me"));
  auto frame = client.read_frame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, 0x8);
  // No close frame back: the server drops the connection after its grace period.
  ASSERT_TRUE(harness.log().wait_for("close:1"));
  EXPECT_TRUE(client.socket().peer_closed());
}

TEST(HttpServerWebSocket, QueuedMessagesGoOutBeforeTheCloseFrame) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  ASSERT_TRUE(client.handshake());
  ASSERT_TRUE(client.send_text("burst-then-close"));
  for (int i = 0; i < 3; ++i) {
    auto message = client.read_message();
    ASSERT_TRUE(message);
    EXPECT_EQ(message->payload, "burst " + std::to_string(i));
  }
  auto frame = client.read_frame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, 0x8);
  EXPECT_EQ(close_code(*frame), 1000);
  EXPECT_EQ(frame->payload.substr(2), "done");
  ASSERT_TRUE(client.send_close(1000));
  ASSERT_TRUE(harness.log().wait_for("close:1"));
}

TEST(HttpServerWebSocket, SendQueueOverflowClosesTheSession) {
  HttpServer::Options options = ServerHarness::test_options();
  options.max_ws_queue_bytes = 1000;
  ServerHarness harness(options);
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  ASSERT_TRUE(client.handshake());
  ASSERT_TRUE(client.send_text("overflow"));
  auto frame = client.read_frame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, 0x8);  // the queue was dropped, only the close frame comes
  EXPECT_EQ(close_code(*frame), 1008);
  client.send_close(1008);
  ASSERT_TRUE(harness.log().wait_for("close:1"));
}

TEST(HttpServerWebSocket, UpgradeOnOtherPathIsRefused) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  EXPECT_FALSE(client.handshake("/elsewhere"));
  EXPECT_EQ(harness.log().count("open:1"), 0u);
  EXPECT_EQ(harness.http_calls(), 0);
}

TEST(HttpServerWebSocket, StopClosesOpenSessions) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient a(harness.port());
  WsClient b(harness.port());
  ASSERT_TRUE(a.handshake());
  ASSERT_TRUE(b.handshake());
  ASSERT_TRUE(harness.log().wait_for("open:2"));
  Socket idle_http(harness.port());  // an idle keep-alive connection is closed too
  ASSERT_TRUE(idle_http.send_all(request_text("GET", "/echo")));
  ASSERT_TRUE(read_response(idle_http));
  harness.shutdown();
  EXPECT_EQ(harness.log().count("close:1"), 1u);
  EXPECT_EQ(harness.log().count("close:2"), 1u);
  EXPECT_TRUE(a.socket().peer_closed());
  EXPECT_TRUE(b.socket().peer_closed());
  EXPECT_TRUE(idle_http.peer_closed());
}

TEST(HttpServerWebSocket, StopFromInsideAHandler) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient a(harness.port());
  WsClient b(harness.port());
  ASSERT_TRUE(a.handshake());
  ASSERT_TRUE(b.handshake());
  ASSERT_TRUE(harness.log().wait_for("open:2"));
  ASSERT_TRUE(a.send_text("stop-server"));
  ASSERT_TRUE(harness.log().wait_for("stopped"));
  EXPECT_EQ(harness.log().count("close:1"), 1u);
  EXPECT_EQ(harness.log().count("close:2"), 1u);
  EXPECT_TRUE(a.socket().peer_closed());
  EXPECT_TRUE(b.socket().peer_closed());
  harness.shutdown();
  EXPECT_EQ(harness.log().count("close:1"), 1u);
}

TEST(HttpServerWebSocket, DestroyingTheServerCallsNoHandlers) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient a(harness.port());
  ASSERT_TRUE(a.handshake());
  ASSERT_TRUE(harness.log().wait_for("open:1"));
  harness.destroy_server();
  EXPECT_TRUE(a.socket().peer_closed());
  harness.shutdown();
  EXPECT_EQ(harness.log().count("close:1"), 0u);
}

TEST(HttpServerWebSocket, DestroyFromInsideAHandler) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient a(harness.port());
  ASSERT_TRUE(a.handshake());
  ASSERT_TRUE(a.send_text("destroy-server"));
  ASSERT_TRUE(harness.log().wait_for("destroyed"));
  EXPECT_TRUE(a.socket().peer_closed());
  harness.shutdown();
  EXPECT_EQ(harness.log().count("close:1"), 0u);
}

TEST(HttpServerWebSocket, SessionsCanBeReachedById) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient a(harness.port());
  WsClient b(harness.port());
  ASSERT_TRUE(a.handshake());
  ASSERT_TRUE(harness.log().wait_for("open:1"));
  ASSERT_TRUE(b.handshake());
  ASSERT_TRUE(harness.log().wait_for("open:2"));
  harness.run_on_loop([&] {
    WebSocketSession* target = harness.server().find_session(2);
    ASSERT_NE(target, nullptr);
    EXPECT_TRUE(target->send_text("for b"));
    EXPECT_EQ(harness.server().find_session(99), nullptr);
  });
  auto message = b.read_message();
  ASSERT_TRUE(message);
  EXPECT_EQ(message->payload, "for b");
}

}  // namespace
}  // namespace sfu
