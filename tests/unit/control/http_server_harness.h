// The server side of the HttpServer tests: an HttpServer on a libuv loop on its own thread, with
// handlers that echo requests and messages and log every WebSocket event, so a test thread can
// drive it over real sockets and wait for what happened. The test thread reaches the loop only
// through a task queue (uv_async).
#pragma once

#include <gtest/gtest.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sfu/control/http_server.h"

namespace sfu::http_test {

// Generous bound so a broken server fails the test instead of hanging it; never a timing check.
inline constexpr auto kWait = std::chrono::seconds(10);

inline std::string big_body(size_t size) {
  std::string body(size, '\0');
  std::mt19937 rng(1234);
  for (char& c : body) c = static_cast<char>('a' + rng() % 26);
  return body;
}

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
    Status started = server_->start();
    if (!started && error) *error = started.error().message;
    bool ok = started.ok();
    if (ok) thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
    return ok;
  }
  uint16_t port() const { return server_->port(); }
  HttpServer& server() { return *server_; }
  EventLog& log() { return log_; }
  int http_calls() const { return http_calls_.load(); }
  // The server's counters, read on the loop.
  HttpServer::Counters counters() {
    HttpServer::Counters counters;
    run_on_loop([&] { counters = server_->counters(); });
    return counters;
  }

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
    // Refuses upgrades from one origin, as an owner's Origin check would.
    h.on_ws_upgrade = [this](const HttpRequest& request) -> std::optional<HttpResponse> {
      auto origin = request.headers.find("origin");
      if (origin == request.headers.end() || origin->second != "http://refused.example") return std::nullopt;
      log_.add("refused:" + origin->second);
      HttpResponse refusal;
      refusal.status = 403;
      refusal.body = R"({"error":{"code":"forbidden","message":"origin refused"}})";
      return refusal;
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

}  // namespace sfu::http_test
