// How long the server waits for a participant's connections, through the whole server with real
// ICE, DTLS and SRTP (conference_fixture.h). Timers must match how people use a call: joining
// muted and turning the camera on minutes later, or sitting alone in a room until someone
// publishes, is normal; a connection that can never come up is not, and is ended with a reason.
// The tests use short timeouts (the config schema's small values) in place of minutes.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "tests/integration/conference_fixture.h"
#include "tests/unit/control/http_test_client.h"

using namespace sfu;
using namespace std::chrono_literals;
using client::ParticipantClient;
using conference_test::Conference;

namespace {

void receive_only(ParticipantClient::Options& o) {
  o.publish_audio = false;
  o.publish_video = false;
}

void publish_later(ParticipantClient::Options& o) { o.auto_publish = false; }

bool media_from(const ParticipantClient& receiver, const ParticipantClient& sender, uint64_t more_than) {
  auto media = receiver.received_from(sender.participant_id());
  return media.audio_packets > more_than && media.video_packets > more_than;
}

std::string metrics_text(uint16_t port) {
  http_test::Socket socket(port);
  if (!socket.ok() || !socket.send_all(http_test::request_text("GET", "/metrics"))) return {};
  auto response = http_test::read_response(socket);
  return response ? response->body : std::string();
}

// rtc.dtls_handshake_timeout_s: 2 s, and every test waits longer than that before negotiating.
class ShortDtlsTimeout : public Conference {
 protected:
  static constexpr auto kDtlsTimeout = 2s;
  static constexpr auto kLongerThanTheTimeout = 3s;
  void configure(config::Config& config) override { config.rtc.dtls_handshake_timeout_s = 2; }
};

// The handshake deadline counts from the publish offer, not from join: turning the camera on
// later than the timeout after joining still connects.
TEST_F(ShortDtlsTimeout, PublishingLongAfterJoiningConnects) {
  auto& ann = add_client("late-publish", "ann", publish_later);
  ASSERT_TRUE(run_until([&] { return ann.joined(); })) << describe(ann);
  run_for(kLongerThanTheTimeout);

  ASSERT_TRUE(ann.publish());
  ann.start_media();
  ASSERT_TRUE(run_until([&] { return ann.publish_connected() || !ann.errors().empty(); })) << describe(ann);
  run_for(kDtlsTimeout);  // a deadline already past would fail the connection on the next loop turn
  EXPECT_TRUE(ann.publish_connected()) << describe(ann);
  EXPECT_TRUE(ann.errors().empty()) << describe(ann);

  // The server took the connection: someone joining now receives Ann's media.
  auto& bob = add_client("late-publish", "bob", receive_only);
  ASSERT_TRUE(run_until([&] { return media_from(bob, ann, 20) || !ann.errors().empty(); }))
      << describe(ann) << "\n"
      << describe(bob);
  EXPECT_TRUE(ann.errors().empty()) << describe(ann);
  EXPECT_TRUE(bob.errors().empty()) << describe(bob);
}

// The subscribe side: alone in a room for longer than the timeout, then someone publishes. The
// deadline counts from the subscribe answer (or the first ICE check), not from join.
TEST_F(ShortDtlsTimeout, ASubscriberWaitingLongForAPublisherConnects) {
  auto& cat = add_client("late-subscribe", "cat", receive_only);
  ASSERT_TRUE(run_until([&] { return cat.joined(); })) << describe(cat);
  run_for(kLongerThanTheTimeout);

  auto& dan = add_client("late-subscribe", "dan");
  dan.start_media();
  ASSERT_TRUE(run_until([&] { return media_from(cat, dan, 20) || !cat.errors().empty(); }))
      << describe(cat) << "\n"
      << describe(dan);
  run_for(kDtlsTimeout);
  EXPECT_TRUE(cat.subscribe_connected()) << describe(cat);
  EXPECT_TRUE(cat.errors().empty()) << describe(cat);
  EXPECT_TRUE(dan.errors().empty()) << describe(dan);
}

// A peer that completes ICE (and keeps its consent fresh) but never starts DTLS fails after the
// handshake timeout instead of holding its connection for as long as it keeps sending checks.
TEST_F(ShortDtlsTimeout, APeerThatCompletesIceButNeverSendsDtlsIsRemoved) {
  auto& eve = add_client("ice-only", "eve", publish_later);
  ASSERT_TRUE(run_until([&] { return eve.joined(); })) << describe(eve);
  eve.publish_connection().hold_dtls();
  ASSERT_TRUE(eve.publish());
  ASSERT_TRUE(run_until([&] {
    return eve.publish_connection().state() == client::WebRtcClient::State::IceConnected;
  })) << describe(eve);
  auto ice_connected = std::chrono::steady_clock::now();

  ASSERT_TRUE(run_until([&] { return !eve.errors().empty(); }, kDtlsTimeout + 10s)) << describe(eve);
  EXPECT_GE(std::chrono::steady_clock::now() - ice_connected, kDtlsTimeout - 1s) << "failed too early";
  const auto& error = eve.errors().front();
  EXPECT_EQ(error.value("code", ""), "connection_lost");
  EXPECT_NE(error.value("message", "").find("publish connection: dtls: handshake timeout"), std::string::npos)
      << error.dump();
  EXPECT_TRUE(run_until([&] { return eve.signaling_closed(); }, 10s));
  EXPECT_EQ(server_.worker().transport_count(), 0u) << "Eve's two transports were freed";
}

// RFC 8842 lets an answerer pick a=setup:passive, but the server can only be the DTLS server: both
// sides would wait for a ClientHello forever. The answer is refused, and, as after any refused
// answer, a fresh subscribe_offer follows, which the client answers properly.
TEST_F(Conference, SubscribeAnswerWithSetupPassiveIsRefusedAndCanBeCorrected) {
  auto altered = std::make_shared<bool>(false);
  auto& fay = add_client("setup", "fay");
  auto& gus = add_client("setup", "gus", [altered](ParticipantClient::Options& o) {
    receive_only(o);
    o.alter_subscribe_answer = [altered](sdp::SessionDescription& answer) {
      if (*altered) return;  // only the first answer is altered
      *altered = true;
      for (auto& m : answer.media) m.setup = sdp::SetupRole::kPassive;
    };
  });
  fay.start_media();
  ASSERT_TRUE(run_until([&] { return !gus.errors().empty(); }, 20s)) << describe(gus);
  const auto& error = gus.errors().front();
  EXPECT_EQ(error.value("code", ""), "bad_request");
  EXPECT_EQ(error.value("request_type", ""), "subscribe_answer");
  EXPECT_NE(error.value("message", "").find("a=setup:active"), std::string::npos) << error.dump();
  EXPECT_TRUE(gus.signaling_open());

  // The fresh offer, answered properly (a=setup:active), connects, and media flows.
  ASSERT_TRUE(run_until([&] { return media_from(gus, fay, 20); })) << describe(gus);
  EXPECT_EQ(gus.errors().size(), 1u) << describe(gus);
  EXPECT_TRUE(fay.errors().empty()) << describe(fay);
}

// rtc.join_timeout_s at the schema's smallest value, 5 s.
class ShortJoinTimeout : public Conference {
 protected:
  static constexpr auto kJoinTimeout = 5s;
  void configure(config::Config& config) override { config.rtc.join_timeout_s = 5; }
};

// A participant none of whose connections came up is removed with join_timeout; one whose
// publish connection or whose subscribe connection is up stays, however long it has been.
TEST_F(ShortJoinTimeout, AParticipantWithNoConnectionIsRemovedOnesWithOneStay) {
  auto& ida = add_client("idle", "ida", publish_later);
  auto& pia = add_client("busy", "pia");  // publishes; nobody else publishes, so it never subscribes
  auto& sam = add_client("busy", "sam", receive_only);  // only ever subscribes
  pia.start_media();
  ASSERT_TRUE(run_until([&] { return ida.joined() && pia.joined() && sam.joined(); }));
  auto joined = std::chrono::steady_clock::now();

  ASSERT_TRUE(run_until([&] { return !ida.errors().empty(); }, kJoinTimeout + 15s)) << describe(ida);
  EXPECT_GE(std::chrono::steady_clock::now() - joined, kJoinTimeout - 1s) << "removed too early";
  const auto& error = ida.errors().front();
  EXPECT_EQ(error.value("code", ""), "join_timeout");
  EXPECT_NE(error.value("message", "").find("5 s"), std::string::npos) << error.dump();
  ASSERT_TRUE(run_until([&] { return ida.signaling_closed(); }, 10s));
  EXPECT_EQ(ida.close_code(), 1000);

  // Well past the timeout, the two that connected one connection each are still in their room.
  run_for(std::chrono::duration_cast<std::chrono::milliseconds>(kJoinTimeout + 2s -
                                                                (std::chrono::steady_clock::now() - joined)));
  uint64_t received = sam.received_packets(pia.participant_id(), sdp::MediaKind::kVideo);
  ASSERT_TRUE(run_until([&] {
    return sam.received_packets(pia.participant_id(), sdp::MediaKind::kVideo) > received + 20;
  })) << describe(sam);
  for (auto* p : {&pia, &sam}) {
    EXPECT_TRUE(p->errors().empty()) << describe(*p);
    EXPECT_TRUE(p->signaling_open()) << describe(*p);
  }
  EXPECT_EQ(pia.participants().count(sam.participant_id()), 1u);

  std::string metrics = metrics_text(server_.http_port());
  EXPECT_NE(metrics.find("sfu_join_timeouts_total{worker=\"0\"} 1\n"), std::string::npos) << metrics;
}

}  // namespace
