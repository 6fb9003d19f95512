// Simulcast end to end through the whole server (conference_fixture.h): a publisher sends three
// rid layers (q, h, f) over real ICE, DTLS and SRTP; two subscribers ask for different layers with
// track_settings and each receives only its layer, with continuous sequence numbers, timestamps
// and VP8 picture ids, including across a switch when one changes its preference.
#include <gtest/gtest.h>

#include "tests/integration/conference_fixture.h"
#include "tests/integration/subscriber_feedback.h"

using namespace sfu;
using namespace std::chrono_literals;
using client::ParticipantClient;
using conference_test::Conference;

namespace {

void receive_only(ParticipantClient::Options& options) {
  options.publish_audio = false;
  options.publish_video = false;
}

std::string video_track_of(const ParticipantClient& subscriber, const std::string& publisher) {
  auto tracks = subscriber.tracks_by_participant().find(publisher);
  if (tracks == subscriber.tracks_by_participant().end()) return {};
  for (const auto& [id, kind] : tracks->second)
    if (kind == "video") return id;
  return {};
}

void expect_continuous(const ParticipantClient::ReceivedMedia& media, const std::string& who) {
  EXPECT_EQ(media.video_sequence_gaps, 0u) << who;
  EXPECT_EQ(media.video_sequence_backwards, 0u) << who;
  EXPECT_EQ(media.video_timestamp_backwards, 0u) << who;
  EXPECT_EQ(media.video_picture_id_jumps, 0u) << who;
}

class Simulcast : public Conference {
 protected:
  ParticipantClient* alice = nullptr;
  ParticipantClient* bob = nullptr;
  ParticipantClient* carol = nullptr;
  std::string track;

  void start_room() {
    alice = &add_client("simulcast", "alice", [](ParticipantClient::Options& o) {
      o.simulcast_layers = 3;
      o.publish_audio = false;
    });
    bob = &add_client("simulcast", "bob", receive_only);
    carol = &add_client("simulcast", "carol", receive_only);
    alice->start_media();
    ASSERT_TRUE(run_until([&] {
      return alice->joined() && !video_track_of(*bob, alice->participant_id()).empty() &&
             !video_track_of(*carol, alice->participant_id()).empty();
    })) << describe(*bob);
    track = video_track_of(*bob, alice->participant_id());
  }
  void settings(ParticipantClient& who, nlohmann::json fields) {
    fields["type"] = "track_settings";
    fields["participant_id"] = alice->participant_id();
    fields["track_id"] = track;
    ASSERT_TRUE(who.send_signaling(fields));
  }
  ParticipantClient::ReceivedMedia from_alice(const ParticipantClient& who) const {
    return who.received_from(alice->participant_id());
  }
  // GET /v1/rooms/simulcast: `who`'s subscription to Alice's video (null when absent).
  nlohmann::json subscription_of(const ParticipantClient& who) {
    auto reply = conference_test::http_while_pumping(server_.http_port(), "GET", "/v1/rooms/simulcast",
                                                     [this](auto done) { return run_until(done); });
    auto body = nlohmann::json::parse(reply.body, nullptr, false);
    if (body.is_discarded()) return nullptr;
    for (const auto& p : body["participants"]) {
      if (p["id"] != who.participant_id()) continue;
      for (const auto& s : p["subscriptions"])
        if (s["track_id"] == track) return s;
    }
    return nullptr;
  }
  // Waits until `who` got `count` more packets of `layer` than in `since`.
  bool wait_for_layer(const ParticipantClient& who, size_t layer,
                      const ParticipantClient::ReceivedMedia& since, uint64_t count) {
    return run_until([&] {
      return from_alice(who).video_packets_by_layer[layer] >= since.video_packets_by_layer[layer] + count;
    });
  }
};

TEST_F(Simulcast, EachSubscriberReceivesOnlyItsLayerAndSwitchesWhenItAsks) {
  start_room();
  settings(*bob, {{"max_layer", 0}});
  // Settle: Bob may have started at the default (the best layer) before his settings arrived.
  ASSERT_TRUE(wait_for_layer(*bob, 0, {}, 30)) << describe(*bob);
  ASSERT_TRUE(wait_for_layer(*carol, 2, {}, 30)) << describe(*carol);

  auto bob_then = from_alice(*bob);
  auto carol_then = from_alice(*carol);
  ASSERT_TRUE(wait_for_layer(*bob, 0, bob_then, 60)) << describe(*bob);
  ASSERT_TRUE(wait_for_layer(*carol, 2, carol_then, 180)) << describe(*carol);
  auto bob_now = from_alice(*bob);
  auto carol_now = from_alice(*carol);
  EXPECT_EQ(bob_now.video_packets_by_layer[1], bob_then.video_packets_by_layer[1]) << "bob gets q only";
  EXPECT_EQ(bob_now.video_packets_by_layer[2], bob_then.video_packets_by_layer[2]) << "bob gets q only";
  EXPECT_EQ(carol_now.video_packets_by_layer[0], 0u) << "carol gets f only, from the start";
  EXPECT_EQ(carol_now.video_packets_by_layer[1], 0u);
  EXPECT_EQ(bob_now.video_width, 160);
  EXPECT_EQ(carol_now.video_width, 640);

  // Bob asks for the best layer: he climbs at f's next keyframe (the server asks for one).
  settings(*bob, {{"max_layer", 2}});
  auto before_switch = from_alice(*bob);
  ASSERT_TRUE(wait_for_layer(*bob, 2, before_switch, 30)) << describe(*bob);
  auto switched = from_alice(*bob);
  ASSERT_TRUE(wait_for_layer(*bob, 2, switched, 90)) << describe(*bob);
  auto after = from_alice(*bob);
  EXPECT_EQ(after.video_packets_by_layer[0], switched.video_packets_by_layer[0]) << "q stopped at the switch";
  EXPECT_EQ(after.video_width, 640);
  EXPECT_GE(server_.worker().router_counters().layers.switches_up.load(), 1u);

  expect_continuous(from_alice(*bob), "bob");
  expect_continuous(from_alice(*carol), "carol");
  for (auto* c : {bob, carol}) expect_clean_media(*c);
  EXPECT_EQ(from_alice(*carol).video_packets_by_layer[1], 0u);
}

TEST_F(Simulcast, ASizePreferencePicksTheLayerThatCoversTheTileAndPausedStopsIt) {
  start_room();
  settings(*bob, {{"max_width", 300}, {"max_height", 200}});
  ASSERT_TRUE(wait_for_layer(*bob, 1, {}, 60)) << describe(*bob);
  auto then = from_alice(*bob);
  ASSERT_TRUE(wait_for_layer(*bob, 1, then, 60)) << describe(*bob);
  EXPECT_EQ(from_alice(*bob).video_packets_by_layer[2], then.video_packets_by_layer[2])
      << "320x240 covers 300x200";
  EXPECT_EQ(from_alice(*bob).video_width, 320);

  settings(*bob, {{"paused", true}});
  run_for(300ms);
  auto paused = from_alice(*bob);
  run_for(500ms);
  EXPECT_EQ(from_alice(*bob).video_packets, paused.video_packets) << "a paused track sends nothing";
  EXPECT_GT(server_.worker().router_counters().layers.not_forwarded_paused.load(), 0u);
  settings(*bob, {{"paused", false}});
  ASSERT_TRUE(wait_for_layer(*bob, 1, paused, 30)) << describe(*bob);
  expect_continuous(from_alice(*bob), "bob");
  expect_clean_media(*bob);
}

// REST shows, per subscriber, the layer it gets and why packets were not sent to it.
TEST_F(Simulcast, RestShowsEachSubscriptionsLayerPauseAndDrops) {
  start_room();
  settings(*bob, {{"max_layer", 0}});
  ASSERT_TRUE(wait_for_layer(*bob, 0, {}, 30)) << describe(*bob);
  ASSERT_TRUE(wait_for_layer(*carol, 2, {}, 30)) << describe(*carol);
  nlohmann::json bobs = subscription_of(*bob);
  ASSERT_TRUE(bobs.is_object()) << bobs;
  EXPECT_EQ(bobs["publisher"], alice->participant_id());
  EXPECT_EQ(bobs["kind"], "video");
  EXPECT_EQ(bobs["layer"], 0);
  EXPECT_EQ(bobs["target_layer"], 0);
  EXPECT_TRUE(bobs["paused"].is_null());
  EXPECT_GE(bobs["packets"].get<uint64_t>(), 30u);
  EXPECT_GT(bobs["dropped"]["other_layer"].get<uint64_t>(), 0u) << "h and f are not Bob's";
  nlohmann::json carols = subscription_of(*carol);
  ASSERT_TRUE(carols.is_object());
  EXPECT_EQ(carols["layer"], 2);

  settings(*bob, {{"paused", true}});
  ASSERT_TRUE(run_until([&] {
    nlohmann::json now = subscription_of(*bob);
    return now.is_object() && now["paused"] == "subscriber" && now["layer"].is_null() &&
           now["dropped"]["paused"].get<uint64_t>() > 0;
  })) << subscription_of(*bob);
}

TEST_F(Simulcast, BadTrackSettingsAreRefusedWithAClearError) {
  start_room();
  auto error_count = [&] { return bob->errors().size(); };
  settings(*bob, {{"max_layer", 7}});
  ASSERT_TRUE(run_until([&] { return error_count() == 1; }));
  EXPECT_EQ(bob->errors()[0]["code"], "bad_request");
  EXPECT_EQ(bob->errors()[0]["request_type"], "track_settings");
  ASSERT_TRUE(bob->send_signaling({{"type", "track_settings"},
                                   {"participant_id", alice->participant_id()},
                                   {"track_id", "no-such-track"},
                                   {"max_layer", 0}}));
  ASSERT_TRUE(run_until([&] { return error_count() == 2; }));
  EXPECT_EQ(bob->errors()[1]["code"], "not_found");
  settings(*bob, {{"paused", "yes"}});
  ASSERT_TRUE(run_until([&] { return error_count() == 3; }));
  EXPECT_EQ(bob->errors()[2]["code"], "bad_request");
  settings(*bob, nlohmann::json::object());
  ASSERT_TRUE(run_until([&] { return error_count() == 4; }));
  EXPECT_EQ(bob->errors()[3]["code"], "bad_request");
  // max_temporal_layer: 0-2 only (Chromium's encoders send at most three temporal layers).
  settings(*bob, {{"max_temporal_layer", 3}});
  ASSERT_TRUE(run_until([&] { return error_count() == 5; }));
  EXPECT_EQ(bob->errors()[4]["code"], "bad_request");
  EXPECT_NE(bob->errors()[4]["message"].get<std::string>().find("max_temporal_layer"), std::string::npos);
  settings(*bob, {{"max_temporal_layer", 1}});
  run_for(300ms);
  EXPECT_EQ(error_count(), 5u) << "a valid max_temporal_layer is accepted silently";
  // priority: 0-3.
  settings(*bob, {{"priority", 4}});
  ASSERT_TRUE(run_until([&] { return error_count() == 6; }));
  EXPECT_EQ(bob->errors()[5]["code"], "bad_request");
  EXPECT_NE(bob->errors()[5]["message"].get<std::string>().find("priority"), std::string::npos);
  settings(*bob, {{"priority", 3}});
  run_for(300ms);
  EXPECT_EQ(error_count(), 6u) << "a valid priority alone is accepted silently";
}

}  // namespace
