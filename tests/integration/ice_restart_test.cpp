// ICE restart and address change through the whole server with real ICE, DTLS and SRTP over
// loopback (conference_fixture.h): a participant that moves to a new local port or address (Wi-Fi
// to LTE: same ICE credentials, new socket, 127.0.0.2 for the other interface) keeps sending and
// receiving after its next check; a publish
// ICE restart (new credentials on both sides, RFC 8445 §9) keeps the tracks and the media; a
// subscribe connection restarted with `restart_ice` does too; and the others see no one leave.
// The time media took to come back is printed ("recovered in N ms"); nothing is asserted on it
// beyond a generous bound.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <string>

#include "tests/integration/conference_fixture.h"
#include "tests/unit/control/http_test_client.h"

using namespace sfu;
using namespace std::chrono_literals;
using client::ParticipantClient;
using conference_test::Conference;

namespace {

// Far beyond what the recovery takes (one round trip, or one 2.5 s consent interval); a sanitizer
// build on a loaded machine is slow, a broken recovery never ends.
constexpr auto kRecoveryBound = 20s;

std::string metrics_text(uint16_t port) {
  http_test::Socket socket(port);
  if (!socket.ok() || !socket.send_all(http_test::request_text("GET", "/metrics"))) return {};
  auto response = http_test::read_response(socket);
  return response ? response->body : std::string();
}

class IceRestart : public Conference {
 protected:
  // alice and bob in one room, each receiving the other's audio and video.
  void SetUp() override {
    Conference::SetUp();
    alice_ = &add_client(room_, "alice");
    bob_ = &add_client(room_, "bob");
    ASSERT_TRUE(run_until([&] { return alice_->publish_connected() && bob_->publish_connected(); }))
        << describe(*alice_) << "\n"
        << describe(*bob_);
    alice_->start_media();
    bob_->start_media();
    ASSERT_TRUE(run_until([&] { return both_receive(20); })) << describe(*alice_) << "\n" << describe(*bob_);
  }

  bool both_receive(uint64_t more_than) const {
    return receives_both_kinds_from(*alice_, bob_->participant_id(), more_than) &&
           receives_both_kinds_from(*bob_, alice_->participant_id(), more_than);
  }
  uint64_t video_at(const ParticipantClient& receiver, const ParticipantClient& sender) const {
    return receiver.received_from(sender.participant_id()).video_packets;
  }

  // Runs `change` and waits until `receiver` gets `sender`'s video again, and prints how long that
  // took. A receiver's new socket gets nothing sent before the change. Packets a publisher sent
  // before its change may still be on their way, so for a publisher `path_up` says when its new
  // path works (the server answered a check from it); the first packet after that counts.
  template <typename Change, typename PathUp>
  void time_to_recover(const char* what, ParticipantClient& receiver, const ParticipantClient& sender,
                       Change change, PathUp path_up) {
    auto started = std::chrono::steady_clock::now();
    change();
    bool recovered = run_until(path_up, kRecoveryBound);
    uint64_t before = video_at(receiver, sender);
    recovered = recovered && run_until([&] { return video_at(receiver, sender) > before; }, kRecoveryBound);
    auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    EXPECT_TRUE(recovered) << what << ": " << describe(receiver) << "\n" << describe(sender);
    std::printf("[ recovery ] %s: recovered in %lld ms\n", what, static_cast<long long>(took.count()));
  }
  template <typename Change>
  void time_to_recover(const char* what, ParticipantClient& receiver, const ParticipantClient& sender,
                       Change change) {
    time_to_recover(what, receiver, sender, change, [] { return true; });
  }
  // The publisher's path works again: a check from its current socket was answered after `since`.
  auto publish_path_up(uint64_t since, uint64_t restarts = 0) {
    return [this, since, restarts] {
      return alice_->publish_connection().counters().ice_success_responses > since &&
             alice_->counters().ice_restarts >= restarts;
    };
  }
  uint64_t publish_successes() const { return alice_->publish_connection().counters().ice_success_responses; }

  // Media still flows both ways, and nobody saw the other leave or lose a track.
  void expect_call_intact() {
    uint64_t a = video_at(*alice_, *bob_), b = video_at(*bob_, *alice_);
    EXPECT_TRUE(run_until([&] {
      return video_at(*alice_, *bob_) > a + 30 && video_at(*bob_, *alice_) > b + 30;
    })) << describe(*alice_)
        << "\n"
        << describe(*bob_);
    for (const ParticipantClient* c : {alice_, bob_}) {
      EXPECT_EQ(c->message_count("participant_left"), 0u) << describe(*c);
      EXPECT_EQ(c->message_count("track_unpublished"), 0u) << describe(*c);
      EXPECT_EQ(c->participants().size(), 1u) << describe(*c);
      EXPECT_TRUE(c->errors().empty()) << describe(*c);
      EXPECT_TRUE(c->failures().empty()) << describe(*c);
      EXPECT_EQ(c->counters().unknown_ssrc, 0u);
      EXPECT_EQ(c->counters().unexpected_payload_type, 0u);
    }
  }

  std::string room_ = "restart";
  ParticipantClient* alice_ = nullptr;
  ParticipantClient* bob_ = nullptr;
};

TEST_F(IceRestart, AReceiverThatMovesToANewPortOrAddressKeepsReceivingAfterItsNextCheck) {
  // Wi-Fi to LTE: the subscribe connection's socket is replaced, the credentials stay, and the
  // client checks from the new port at once (as a browser does on a network change).
  time_to_recover("subscriber moved to a new port, checks at once", *bob_, *alice_, [&] {
    std::string error;
    ASSERT_TRUE(bob_->subscribe_connection().switch_local_address("", /*check_now=*/true, &error)) << error;
  });
  // A NAT rebinding the client does not notice: media resumes with its next consent check
  // (every 2.5 s).
  time_to_recover("subscriber moved to a new port, next consent check", *bob_, *alice_, [&] {
    std::string error;
    ASSERT_TRUE(bob_->subscribe_connection().switch_local_address("", /*check_now=*/false, &error)) << error;
  });
  // Another address altogether (127.0.0.2 stands for the LTE interface).
  time_to_recover("subscriber moved to another address, checks at once", *bob_, *alice_, [&] {
    std::string error;
    ASSERT_TRUE(bob_->subscribe_connection().switch_local_address("127.0.0.2", /*check_now=*/true, &error))
        << error;
  });
  EXPECT_EQ(bob_->subscribe_connection().local_address().ip_string(), "127.0.0.2");
  expect_call_intact();
}

TEST_F(IceRestart, APublisherThatMovesToANewPortOrAddressIsForwardedAgainAfterItsNextCheck) {
  // The server learns the publisher's new address from its check; media sent from there before
  // is dropped (unknown address), from then on forwarded.
  time_to_recover(
      "publisher moved to a new port, checks at once", *bob_, *alice_,
      [&] {
        std::string error;
        ASSERT_TRUE(alice_->publish_connection().switch_local_address("", /*check_now=*/true, &error))
            << error;
      },
      publish_path_up(publish_successes()));
  time_to_recover(
      "publisher moved to another address, checks at once", *bob_, *alice_,
      [&] {
        std::string error;
        ASSERT_TRUE(
            alice_->publish_connection().switch_local_address("127.0.0.2", /*check_now=*/true, &error))
            << error;
      },
      publish_path_up(publish_successes()));
  expect_call_intact();
}

TEST_F(IceRestart, APublishIceRestartKeepsTheTracksAndTheMedia) {
  std::string metrics = metrics_text(server_.http_port());
  EXPECT_NE(metrics.find("sfu_ice_restarts_total{worker=\"0\"} 0\n"), std::string::npos) << metrics;
  std::string old_ufrag = alice_->publish_connection().remote_ice_ufrag();

  // pc.restartIce() and a renegotiation, on the same socket: media never stops.
  uint64_t before = video_at(*bob_, *alice_);
  ASSERT_TRUE(alice_->restart_publish_ice());
  ASSERT_TRUE(run_until([&] { return alice_->counters().ice_restarts == 1; })) << describe(*alice_);
  EXPECT_NE(alice_->publish_connection().remote_ice_ufrag(), old_ufrag) << "new server credentials";
  EXPECT_TRUE(run_until([&] { return video_at(*bob_, *alice_) > before + 30; })) << describe(*bob_);

  // The restart browsers do after a network change: new credentials from a new port. Media sent
  // from the new port counts only once a check with the new credentials nominated it.
  time_to_recover(
      "publisher restarted ICE from a new port", *bob_, *alice_,
      [&] {
        std::string error;
        ASSERT_TRUE(alice_->publish_connection().switch_local_address("", /*check_now=*/false, &error))
            << error;
        ASSERT_TRUE(alice_->restart_publish_ice());
      },
      publish_path_up(publish_successes(), 2));
  EXPECT_EQ(alice_->counters().ice_restarts, 2u);
  expect_call_intact();
  metrics = metrics_text(server_.http_port());
  EXPECT_NE(metrics.find("sfu_ice_restarts_total{worker=\"0\"} 2\n"), std::string::npos) << metrics;
}

TEST_F(IceRestart, RestartIceRestartsTheSubscribeConnection) {
  std::string old_ufrag = bob_->subscribe_connection().remote_ice_ufrag();
  uint64_t before = video_at(*bob_, *alice_);
  ASSERT_TRUE(bob_->request_subscribe_ice_restart());
  ASSERT_TRUE(run_until([&] { return bob_->counters().ice_restarts == 1; })) << describe(*bob_);
  EXPECT_NE(bob_->subscribe_connection().remote_ice_ufrag(), old_ufrag) << "new server credentials";
  EXPECT_TRUE(run_until([&] { return video_at(*bob_, *alice_) > before + 30; })) << describe(*bob_);

  // From a new port: media comes back once the answer is in and the new pair is nominated.
  time_to_recover("subscriber asked for restart_ice from a new port", *bob_, *alice_, [&] {
    std::string error;
    ASSERT_TRUE(bob_->subscribe_connection().switch_local_address("", /*check_now=*/false, &error)) << error;
    ASSERT_TRUE(bob_->request_subscribe_ice_restart());
  });
  EXPECT_EQ(bob_->counters().ice_restarts, 2u);
  expect_call_intact();
}

TEST_F(IceRestart, RestartIceIsRefusedWhileAnOfferIsOutstandingOrForThePublishConnection) {
  // Two in a row: the second reaches the room before the answer to the first can.
  ASSERT_TRUE(bob_->request_subscribe_ice_restart());
  ASSERT_TRUE(bob_->request_subscribe_ice_restart());
  ASSERT_TRUE(bob_->send_signaling({{"type", "restart_ice"}, {"connection", "publish"}}));
  ASSERT_TRUE(run_until([&] { return bob_->errors().size() >= 2 && bob_->counters().ice_restarts == 1; }))
      << describe(*bob_);
  run_for(500ms);
  ASSERT_EQ(bob_->errors().size(), 2u) << describe(*bob_);
  std::multiset<std::string> codes;
  for (const auto& error : bob_->errors()) {
    EXPECT_EQ(error.value("request_type", ""), "restart_ice") << error.dump();
    codes.insert(error.value("code", ""));
  }
  EXPECT_EQ(codes, (std::multiset<std::string>{"bad_request", "conflict"}));
  uint64_t before = video_at(*bob_, *alice_);
  EXPECT_TRUE(run_until([&] { return video_at(*bob_, *alice_) > before + 30; })) << describe(*bob_);
}

}  // namespace
