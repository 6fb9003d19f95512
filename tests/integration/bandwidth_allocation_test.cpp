// The allocator acting on a subscriber's estimate, end to end (conference_fixture.h: the whole
// server in-process, clients with real ICE, DTLS and SRTP on loopback). The subscriber sends
// REMB only, so the test sets its estimate exactly: below the lowest simulcast layer's cost the
// video is paused and the client told `track_paused`; with room for the middle layer it is
// resumed (`track_resumed`) on that layer after the hold; with room for all, it climbs to the top.
// The client also gets the periodic `bandwidth` event.
#include <gtest/gtest.h>

#include <array>

#include "rtp/rtcp_builder.h"
#include "tests/integration/conference_fixture.h"
#include "tests/integration/subscriber_feedback.h"

using namespace sfu;
using namespace std::chrono_literals;
using client::ParticipantClient;
using conference_test::Conference;

namespace {

// A subscriber that publishes nothing and sends REMB only (no transport-cc): its estimate is
// what the test says.
void remb_only_receiver(ParticipantClient::Options& o) {
  o.publish_audio = false;
  o.publish_video = false;
  o.alter_subscribe_answer = [](sdp::SessionDescription& answer) {
    for (auto& m : answer.media)
      std::erase_if(m.extmaps, [](const sdp::Extmap& e) { return e.uri == sdp::kExtTransportCc; });
  };
}

class BandwidthAllocation : public Conference {
 protected:
  ParticipantClient* alice = nullptr;
  ParticipantClient* bob = nullptr;

  void configure(config::Config& config) override { config.bandwidth.allocation = true; }

  void start_room() {
    alice = &add_client("alloc", "alice", [](ParticipantClient::Options& o) {
      o.simulcast_layers = 3;
      o.publish_audio = false;
    });
    bob = &add_client("alloc", "bob", remb_only_receiver);
    alice->start_media();
    ASSERT_TRUE(run_until([&] { return from_alice().video_packets_by_layer[2] > 30; })) << describe(*bob);
  }
  ParticipantClient::ReceivedMedia from_alice() const { return bob->received_from(alice->participant_id()); }
  void remb(uint64_t bps) { conference_test::send_remb(*bob, bps); }
  const nlohmann::json* last_of(std::string_view type) const {
    const nlohmann::json* found = nullptr;
    for (const auto& m : bob->messages())
      if (m.value("type", "") == type) found = &m;
    return found;
  }
};

TEST_F(BandwidthAllocation, PausesWhatCannotFitResumesAndClimbsWithRoom) {
  start_room();
  // The layers cost about 160, 330 and 490 kbit/s (SimulcastVideo: 1, 2, 3 packets of ~650 bytes
  // a frame at 30 fps). 30 kbit/s (the estimate's floor) carries none.
  remb(20'000);
  ASSERT_TRUE(run_until([&] { return bob->message_count("track_paused") == 1; }, 10s)) << describe(*bob);
  const nlohmann::json* paused = last_of("track_paused");
  EXPECT_EQ((*paused)["participant_id"], alice->participant_id());
  EXPECT_EQ((*paused)["reason"], "bandwidth");
  EXPECT_FALSE((*paused)["track_id"].get<std::string>().empty());
  run_for(500ms);  // what was in flight
  auto stopped = from_alice();
  run_for(1s);
  auto still = from_alice();
  for (size_t layer = 0; layer < 3; ++layer)
    EXPECT_EQ(still.video_packets_by_layer[layer], stopped.video_packets_by_layer[layer])
        << "paused: " << layer;

  // Room for the middle layer with headroom (330 x 1.15), not for the top: resumed there after the hold.
  remb(420'000);
  ASSERT_TRUE(run_until([&] { return bob->message_count("track_resumed") == 1; }, 10s)) << describe(*bob);
  EXPECT_EQ((*last_of("track_resumed"))["participant_id"], alice->participant_id());
  auto resumed = from_alice();
  ASSERT_TRUE(run_until([&] {
    return from_alice().video_packets_by_layer[1] >= resumed.video_packets_by_layer[1] + 60;
  })) << describe(*bob);
  auto middle = from_alice();
  run_for(1s);
  EXPECT_EQ(from_alice().video_packets_by_layer[2], middle.video_packets_by_layer[2])
      << "not the top layer yet";

  // Room for everything: the top layer, at its next key frame after the hold.
  remb(5'000'000);
  auto before_top = from_alice();
  ASSERT_TRUE(run_until(
      [&] { return from_alice().video_packets_by_layer[2] >= before_top.video_packets_by_layer[2] + 90; },
      15s))
      << describe(*bob);
  EXPECT_EQ(bob->message_count("track_paused"), 1u);

  // The `bandwidth` event (at most 1/s) says what the server estimates.
  ASSERT_TRUE(run_until([&] { return last_of("bandwidth") != nullptr; }, 5s));
  run_for(1500ms);
  const nlohmann::json& event = *last_of("bandwidth");
  EXPECT_EQ(event["estimate_bps"].get<uint64_t>(), 5'000'000u) << event.dump();
  EXPECT_GT(event["allocated_bps"].get<uint64_t>(), 300'000u) << event.dump();
  EXPECT_EQ(event["paused_tracks"].get<uint64_t>(), 0u);
  EXPECT_GE(server_.worker().bandwidth_counters().tracks_paused(), 1u);
  EXPECT_GE(server_.worker().bandwidth_counters().tracks_resumed(), 1u);
  EXPECT_EQ(from_alice().video_sequence_gaps, 0u);
  EXPECT_EQ(from_alice().video_picture_id_jumps, 0u);
}

// Two simulcast videos and room for only one of them above the lowest layer: the active
// speaker's gets it, unless the subscriber ranks the other higher (track_settings `priority`).
class BandwidthPriority : public Conference {
 protected:
  ParticipantClient* alice = nullptr;  // silent; her tracks come first in Bob's list
  ParticipantClient* carol = nullptr;  // speaks
  ParticipantClient* bob = nullptr;    // receives both, REMB only

  void configure(config::Config& config) override { config.bandwidth.allocation = true; }

  std::string video_of(const ParticipantClient& publisher) const {
    auto tracks = bob->tracks_by_participant().find(publisher.participant_id());
    if (tracks == bob->tracks_by_participant().end()) return {};
    for (const auto& [id, kind] : tracks->second)
      if (kind == "video") return id;
    return {};
  }
  // The layer of `publisher`'s video Bob has received most packets of since `since`.
  size_t layer_now(const ParticipantClient& publisher, const ParticipantClient::ReceivedMedia& since) const {
    const auto now = bob->received_from(publisher.participant_id());
    size_t best = 0;
    for (size_t layer = 1; layer < 3; ++layer)
      if (now.video_packets_by_layer[layer] - since.video_packets_by_layer[layer] >
          now.video_packets_by_layer[best] - since.video_packets_by_layer[best])
        best = layer;
    return best;
  }
  // Waits until Bob gets `alice_layer` of Alice's video and `carol_layer` of Carol's, steadily
  // (the most packets over the last second).
  bool settles_at(size_t alice_layer, size_t carol_layer) {
    return run_until(
        [&] {
          const auto a = bob->received_from(alice->participant_id());
          const auto c = bob->received_from(carol->participant_id());
          run_for(1s);
          return layer_now(*alice, a) == alice_layer && layer_now(*carol, c) == carol_layer;
        },
        20s);
  }
};

TEST_F(BandwidthPriority, TheActiveSpeakersVideoFirstUnlessTheSubscriberRanksAnotherHigher) {
  alice = &add_client("prio", "alice", [](ParticipantClient::Options& o) {
    o.simulcast_layers = 3;
    o.audio_level_dbov = 127;  // silence
  });
  carol = &add_client("prio", "carol", [](ParticipantClient::Options& o) {
    o.simulcast_layers = 3;
    o.audio_level_dbov = 6;  // loud
  });
  bob = &add_client("prio", "bob", remb_only_receiver);
  alice->start_media();
  carol->start_media();
  ASSERT_TRUE(run_until([&] {
    return bob->received_from(alice->participant_id()).video_packets > 30 &&
           bob->received_from(carol->participant_id()).video_packets > 30;
  })) << describe(*bob);
  // Layers cost about 160, 330 and 490 kbit/s: 680 kbit/s carries both lowest layers and the two
  // audio tracks, plus one video's middle layer (with its 15 % headroom), not two, nor a top one.
  conference_test::send_remb(*bob, 680'000);
  // Equal ranks would go in track order (Alice's first): the speaker's goes first instead.
  ASSERT_TRUE(settles_at(0, 1)) << "the active speaker's video first: " << describe(*bob);

  ASSERT_TRUE(bob->send_signaling({{"type", "track_settings"},
                                   {"participant_id", alice->participant_id()},
                                   {"track_id", video_of(*alice)},
                                   {"priority", 1}}));
  conference_test::send_remb(*bob, 680'000);
  ASSERT_TRUE(settles_at(1, 0)) << "the subscriber's ranking first: " << describe(*bob);
}

// A subscriber joining a call whose single-layer video (about 2 Mbit/s) is above the estimate's
// start (1 Mbit/s), on a free link with transport-cc feedback: it gets the video. Paused before
// it had sent anything, the video gave the estimate nothing to measure and the prober no stream
// to pad, and stayed paused for good.
class BandwidthLateJoiner : public Conference {
 protected:
  void configure(config::Config& config) override { config.bandwidth.allocation = true; }

  // Alice publishes the single-layer video alone for 2 s (the server knows its rate before anyone
  // subscribes), then Bob joins to receive it, sending transport-cc feedback or none.
  void start_call(const std::string& room, bool feedback) {
    alice = &add_client(room, "alice", [](ParticipantClient::Options& o) {
      o.publish_audio = false;
      o.video_packets_per_frame = 8;  // 240 packets of ~1,050 bytes a second: about 2 Mbit/s
    });
    alice->start_media();
    run_for(2s);
    bob = &add_client(room, "bob", [feedback](ParticipantClient::Options& o) {
      o.publish_audio = false;
      o.publish_video = false;
      o.transport_cc_feedback = feedback;
    });
  }
  uint64_t video_to_bob() const { return bob->received_from(alice->participant_id()).video_packets; }

  ParticipantClient* alice = nullptr;
  ParticipantClient* bob = nullptr;
};

TEST_F(BandwidthLateJoiner, GetsASingleLayerVideoAboveTheStartEstimate) {
  start_call("late", true);
  ASSERT_TRUE(run_until([&] { return video_to_bob() > 240; }, 10s)) << describe(*bob);
  // However the estimate got there (probes, the pause hold), the video flows at the end.
  run_for(6s);
  const auto before = video_to_bob();
  run_for(2s);
  EXPECT_GT(video_to_bob(), before + 300) << describe(*bob);
  EXPECT_EQ(bob->message_count("track_paused"), bob->message_count("track_resumed")) << describe(*bob);
}

// A subscriber that sends no feedback at all (neither transport-cc nor REMB) gets everything: its
// estimate is only the start value, nothing measured, and a 2 Mbit/s video is not paused for it.
TEST_F(BandwidthLateJoiner, ASubscriberThatSendsNoFeedbackIsNotHeldToTheStartEstimate) {
  start_call("silent", false);
  ASSERT_TRUE(run_until([&] { return video_to_bob() > 240; }, 10s)) << describe(*bob);
  run_for(3s);  // past the pause hold
  const auto before = video_to_bob();
  run_for(2s);
  EXPECT_GT(video_to_bob(), before + 400) << describe(*bob);
  EXPECT_EQ(bob->message_count("track_paused"), 0u) << describe(*bob);
}

}  // namespace
