// The whole server in-process for integration tests: its workers (one unless config().workers says
// more) and the control plane on a loop of its own thread, wired as Server::run wires them.
// Configure through config() before start().
#pragma once

#include <uv.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "dtls/dtls_certificate.h"
#include "sfu/control/control_plane.h"
#include "sfu/media/worker.h"
#include "tests/unit/media/room_test_support.h"

namespace sfu::test {

// The server's threads: one worker and the control plane on a loop of its own thread.
class TestServer {
 public:
  TestServer() {
    config_ = config::default_config();
    config_.http.host = "127.0.0.1";
    config_.http.port = 0;  // any free port
    config_.rtc.udp_port = 0;
    config_.rtc.tcp_port = 0;  // ICE-TCP on any free port
    config_.rtc.announced_ip = "127.0.0.1";
    config_.workers = 1;
    media_test::apply_test_srtp_backend(config_);
  }
  ~TestServer() { stop(); }

  bool start(std::string* error) {
    auto certificate = dtls::DtlsCertificate::generate(error);
    if (!certificate) return false;
    for (uint32_t i = 0; i < config_.resolved_workers(); ++i) {
      workers_.push_back(std::make_unique<Worker>(i, config_, certificate));
      if (Status worker_started = workers_.back()->start(); !worker_started) {
        *error = worker_started.error().message;
        stop_workers();
        return false;
      }
    }
    auto started = std::make_shared<std::promise<std::string>>();
    auto result = started->get_future();
    thread_ = std::thread([this, started] { run(*started); });
    *error = result.get();
    if (!error->empty()) thread_.join();
    return error->empty();
  }

  void stop() {
    if (!thread_.joinable()) return;
    uv_async_send(&stop_async_);
    thread_.join();
  }

  uint16_t http_port() const { return http_port_; }
  config::Config& config() { return config_; }  // before start()
  Worker& worker(size_t index = 0) { return *workers_.at(index); }
  size_t worker_count() const { return workers_.size(); }

 private:
  void run(std::promise<std::string>& started) {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &stop_async_, [](uv_async_t* async) { uv_stop(async->loop); });
    std::vector<Worker*> workers;
    for (auto& worker : workers_) workers.push_back(worker.get());
    control_ = std::make_unique<ControlPlane>(&loop_, config_, workers);
    std::string error;
    if (Status control_started = control_->start(); !control_started) {
      error = control_started.error().message;
      control_.reset();
      uv_close(reinterpret_cast<uv_handle_t*>(&stop_async_), nullptr);
      uv_run(&loop_, UV_RUN_DEFAULT);
      uv_loop_close(&loop_);
      stop_workers();
      started.set_value(error.empty() ? "control plane failed to start" : error);
      return;
    }
    http_port_ = control_->port();
    started.set_value("");
    uv_run(&loop_, UV_RUN_DEFAULT);
    // The order of Server::run: signaling first, then the workers, then the loop's handles.
    control_->stop();
    stop_workers();
    control_.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&stop_async_), nullptr);
    for (int i = 0; i < 100 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    uv_loop_close(&loop_);
  }

  // Every worker stops before any is freed: linked workers ring each other until they stop.
  void stop_workers() {
    for (auto& worker : workers_) worker->stop();
  }

  config::Config config_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<ControlPlane> control_;
  uv_loop_t loop_{};
  uv_async_t stop_async_{};
  std::thread thread_;
  uint16_t http_port_ = 0;
};

}  // namespace sfu::test
