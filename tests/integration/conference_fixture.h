// The fixture of the integration tests: the whole server in-process (a worker and the control plane
// on its own thread, as Server::run wires them) and participants that behave like browsers
// (bench/client's ParticipantClient: signaling WebSocket, publish and subscribe connections with
// real ICE, DTLS and SRTP, synthetic Opus and VP8) on the test thread's own loop. A test derives
// from Conference and overrides configure() to change the server's config before it starts.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/client/participant_client.h"
#include "dtls/dtls_certificate.h"
#include "sfu/control/control_plane.h"
#include "sfu/media/worker.h"
#include "sfu/sdp/sdp_negotiation.h"

namespace sfu::conference_test {

using namespace std::chrono_literals;
using client::ParticipantClient;

// Waits are generous: sanitizer builds on a loaded 2-core machine are slow. Nothing is timed.
constexpr auto kLongWait = 60s;

// The server's threads: one worker and the control plane on a loop of its own thread.
class TestServer {
 public:
  TestServer() {
    config_ = config::default_config();
    config_.http.host = "127.0.0.1";
    config_.http.port = 0;  // any free port
    config_.rtc.udp_port = 0;
    config_.rtc.announced_ip = "127.0.0.1";
    config_.workers = 1;
  }
  ~TestServer() { stop(); }

  bool start(std::string* error) {
    auto certificate = dtls::DtlsCertificate::generate(error);
    if (!certificate) return false;
    worker_ = std::make_unique<Worker>(0, config_, certificate);
    if (Status worker_started = worker_->start(); !worker_started) {
      *error = worker_started.error().message;
      return false;
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
  Worker& worker() { return *worker_; }

 private:
  void run(std::promise<std::string>& started) {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &stop_async_, [](uv_async_t* async) { uv_stop(async->loop); });
    control_ = std::make_unique<ControlPlane>(&loop_, config_, std::vector<Worker*>{worker_.get()});
    std::string error;
    if (Status control_started = control_->start(); !control_started) {
      error = control_started.error().message;
      control_.reset();
      uv_close(reinterpret_cast<uv_handle_t*>(&stop_async_), nullptr);
      uv_run(&loop_, UV_RUN_DEFAULT);
      uv_loop_close(&loop_);
      worker_->stop();
      started.set_value(error.empty() ? "control plane failed to start" : error);
      return;
    }
    http_port_ = control_->port();
    started.set_value("");
    uv_run(&loop_, UV_RUN_DEFAULT);
    // The order of Server::run: signaling first, then the worker, then the loop's handles.
    control_->stop();
    worker_->stop();
    control_.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&stop_async_), nullptr);
    for (int i = 0; i < 100 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) std::this_thread::sleep_for(1ms);
    uv_loop_close(&loop_);
  }

  config::Config config_;
  std::unique_ptr<Worker> worker_;
  std::unique_ptr<ControlPlane> control_;
  uv_loop_t loop_{};
  uv_async_t stop_async_{};
  std::thread thread_;
  uint16_t http_port_ = 0;
};

class Conference : public ::testing::Test {
 protected:
  virtual void configure(config::Config&) {}
  void SetUp() override {
    configure(server_.config());
    uv_loop_init(&loop_);
    std::string error;
    ASSERT_TRUE(server_.start(&error)) << error;
  }
  void TearDown() override {
    for (auto& c : clients_) c->close_signaling();
    run_until(
        [&] {
          return std::all_of(clients_.begin(), clients_.end(), [](auto& c) { return c->signaling_closed(); });
        },
        5s);
    clients_.clear();
    server_.stop();
    for (int i = 0; i < 100 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "client handles left open";
  }

  ParticipantClient& add_client(const std::string& room, const std::string& name,
                                std::function<void(ParticipantClient::Options&)> customize = {}) {
    ParticipantClient::Options options;
    options.server_port = server_.http_port();
    options.room = room;
    options.name = name;
    if (customize) customize(options);
    clients_.push_back(std::make_unique<ParticipantClient>(&loop_, options));
    std::string error;
    EXPECT_TRUE(clients_.back()->start(&error)) << error;
    return *clients_.back();
  }

  // Pumps the client loop until `done` or the timeout.
  template <typename Pred>
  bool run_until(Pred done, std::chrono::milliseconds timeout = kLongWait) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      uv_run(&loop_, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }
  void run_for(std::chrono::milliseconds duration) {
    run_until([] { return false; }, duration);
  }

  static std::string describe(const ParticipantClient& c) {
    std::string out = "participant " + c.participant_id() + ": publish " +
                      std::to_string(c.publish_answered()) + "/" + std::to_string(c.publish_connected()) +
                      ", subscribe offers " + std::to_string(c.counters().subscribe_offers) + " connected " +
                      std::to_string(c.subscribe_connected()) + ", sent a/v " +
                      std::to_string(c.counters().audio_packets_sent) + "/" +
                      std::to_string(c.counters().video_packets_sent) + ", received";
    for (const auto& [id, p] : c.participants()) {
      auto media = c.received_from(id);
      out += " " + id + " a/v " + std::to_string(media.audio_packets) + "/" +
             std::to_string(media.video_packets);
    }
    for (const client::WebRtcClient* connection : {&c.publish_connection(), &c.subscribe_connection()}) {
      out += connection == &c.publish_connection() ? "; publish " : "; subscribe ";
      out += "state " + std::to_string(static_cast<int>(connection->state())) + " ice error " +
             std::to_string(connection->last_ice_error().value_or(0)) + " " + connection->failure_reason();
    }
    for (const auto& f : c.failures()) out += "; failure: " + f;
    for (const auto& e : c.errors()) out += "; error: " + e.dump();
    return out;
  }

  // No forwarded packet broke what the subscribe offer promised.
  static void expect_clean_media(const ParticipantClient& c) {
    EXPECT_EQ(c.counters().unknown_ssrc, 0u) << c.participant_id();
    EXPECT_EQ(c.counters().unexpected_payload_type, 0u) << c.participant_id();
    EXPECT_EQ(c.counters().undeclared_extension, 0u) << c.participant_id();
    EXPECT_EQ(c.counters().video_started_without_keyframe, 0u) << c.participant_id();
    EXPECT_EQ(c.counters().malformed_rtp, 0u) << c.participant_id();
    EXPECT_TRUE(c.errors().empty()) << describe(c);
    EXPECT_TRUE(c.failures().empty()) << describe(c);
  }

  static bool receives_both_kinds_from(const ParticipantClient& c, const std::string& source,
                                       uint64_t more_than) {
    auto media = c.received_from(source);
    return media.audio_packets > more_than && media.video_packets > more_than;
  }

  uv_loop_t loop_{};
  TestServer server_;
  std::vector<std::unique_ptr<ParticipantClient>> clients_;
};

}  // namespace sfu::conference_test
