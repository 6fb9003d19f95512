// The control plane without sockets: a real ControlPlane on a loop the test runs, a real started
// Worker, and RecordingConnections in place of WebSockets (the ClientConnection seam HttpServer's
// sessions implement). A test calls the handlers as HttpServer would and settle()s before it
// looks at what each connection received.
#pragma once

#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "dtls/dtls_certificate.h"
#include "sfu/control/client_connection.h"
#include "sfu/control/control_plane.h"
#include "sfu/media/worker.h"

namespace sfu::control_test {

class RecordingConnection final : public ClientConnection {
 public:
  explicit RecordingConnection(uint64_t id) : id_(id) {}

  uint64_t id() const override { return id_; }
  const std::string& remote_address() const override { return address_; }
  bool closing() const override { return close_code.has_value(); }
  bool send_text(std::string_view message) override {
    if (closing()) return false;
    received.push_back(nlohmann::json::parse(message));
    return true;
  }
  void close(uint16_t code, std::string reason) override {
    if (closing()) return;
    close_code = code;
    close_reason = std::move(reason);
  }
  bool lost() const override { return lost_connection; }

  // The messages received so far of this type.
  std::vector<nlohmann::json> of_type(const std::string& type) const {
    std::vector<nlohmann::json> out;
    for (const auto& m : received)
      if (m.value("type", "") == type) out.push_back(m);
    return out;
  }

  std::vector<nlohmann::json> received;
  std::optional<uint16_t> close_code;
  std::string close_reason;
  // The connection ends without a goodbye (a network drop): its participant may resume.
  bool lost_connection = false;

 private:
  uint64_t id_;
  std::string address_ = "127.0.0.1:40000";
};

class ControlPlaneFixture : public ::testing::Test {
 protected:
  static config::Config test_config() {
    config::Config config = config::default_config();
    config.rtc.udp_port = 0;
    config.rtc.tcp_port = 0;  // any free port
    config.rtc.bind_ip = "127.0.0.1";
    config.rtc.announced_ip = "127.0.0.1";
    config.workers = 1;
    return config;
  }

  void SetUp() override { start(test_config()); }

  void start(config::Config config) {
    config_ = std::move(config);
    uv_loop_init(&loop_);
    auto certificate = dtls::DtlsCertificate::generate();
    ASSERT_TRUE(certificate);
    worker_ = std::make_unique<Worker>(0, config_, certificate);
    Status started = worker_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    control_ = std::make_unique<ControlPlane>(&loop_, config_, std::vector<Worker*>{worker_.get()});
    control_->set_deferred_answers([this](uint64_t exchange_id, HttpResponse response) {
      deferred_[exchange_id] = std::move(response);
    });
    started_ = true;
  }

  void TearDown() override {
    if (!started_) return;
    control_->stop();
    worker_->stop();
    control_.reset();
    worker_.reset();
    while (uv_run(&loop_, UV_RUN_NOWAIT) != 0) {
    }
    uv_loop_close(&loop_);
  }

  // Runs what the control plane posted to the worker, then what the worker sent back.
  void settle() {
    for (int round = 0; round < 2; ++round) {
      auto done = std::make_shared<std::promise<void>>();
      auto future = done->get_future();
      ASSERT_TRUE(worker_->post([done](Worker&) { done->set_value(); }));
      ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
      uv_run(&loop_, UV_RUN_NOWAIT);
    }
  }

  RecordingConnection& open() {
    connections_.push_back(std::make_unique<RecordingConnection>(connections_.size() + 1));
    control_->on_ws_open(*connections_.back());
    return *connections_.back();
  }
  void send(RecordingConnection& connection, const std::string& text) {
    control_->guarded_ws_message(connection, text);
    settle();
  }
  // The peer went away (or finished the close handshake the server started).
  void closed(RecordingConnection& connection) {
    control_->on_ws_close(connection);
    settle();
  }
  HttpResponse http(const std::string& method, const std::string& path, const std::string& body = "",
                    std::map<std::string, std::string> headers = {}) {
    HttpRequest request;
    request.method = method;
    request.path = path;
    request.body = body;
    request.headers = std::move(headers);
    request.exchange_id = ++last_exchange_id_;
    HttpResponse response = control_->guarded_http(request);
    settle();
    if (!response.deferred) return response;
    // Answered later (GET /v1/rooms/{name}): by the worker's reply, which settle() let through.
    auto answer = deferred_.find(request.exchange_id);
    if (answer == deferred_.end()) {
      ADD_FAILURE() << method << " " << path << ": the deferred answer did not come";
      return response;
    }
    response = std::move(answer->second);
    deferred_.erase(answer);
    return response;
  }

  config::Config config_;
  uv_loop_t loop_{};
  std::unique_ptr<Worker> worker_;
  std::unique_ptr<ControlPlane> control_;
  std::vector<std::unique_ptr<RecordingConnection>> connections_;
  std::map<uint64_t, HttpResponse> deferred_;  // answers guarded_http() deferred, by exchange id
  uint64_t last_exchange_id_ = 0;
  bool started_ = false;
};

}  // namespace sfu::control_test
