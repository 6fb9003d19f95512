// The fixture of the conference integration tests: the whole server in-process (test_server.h)
// and participants that behave like browsers (bench/client's ParticipantClient: signaling
// WebSocket, publish and subscribe connections with real ICE, DTLS and SRTP, synthetic Opus and
// VP8) on the test thread's own loop. A test derives from Conference and overrides configure() to
// change the server's config before it starts. Clients with data channels share the test
// thread's SctpMailbox (sctp_mailbox()); usrsctp's timers run on the server's worker 0, the one
// SctpTimerDriver the process may have.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/client/participant_client.h"
#include "dtls/sctp_stack.h"
#include "sfu/sdp/sdp_negotiation.h"
#include "tests/integration/test_server.h"
#include "tests/support/pump_loop.h"

namespace sfu::conference_test {

using namespace std::chrono_literals;
using client::ParticipantClient;
using test::TestServer;

// Waits are generous: sanitizer builds on a loaded 2-core machine are slow. Nothing is timed.
constexpr auto kLongWait = 60s;

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
    sctp_mailbox_.reset();  // after the clients' associations, on this thread
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

  // The test thread's SCTP mailbox, for clients with data channels (Options::sctp_mailbox).
  dtls::SctpMailbox& sctp_mailbox() {
    if (!sctp_mailbox_) sctp_mailbox_ = std::make_unique<dtls::SctpMailbox>(&loop_);
    return *sctp_mailbox_;
  }

  // Pumps the client loop until `done` or the timeout.
  template <typename Pred>
  bool run_until(Pred done, std::chrono::milliseconds timeout = kLongWait) {
    return test_support::pump_loop_until(&loop_, done, timeout);
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
  std::unique_ptr<dtls::SctpMailbox> sctp_mailbox_;
};

}  // namespace sfu::conference_test
