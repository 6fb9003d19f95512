// Active speakers and dynacast end to end through the whole server (conference_fixture.h), with
// bench clients over real ICE, DTLS and SRTP. Active speakers: Alice's audio packets carry a loud
// RFC 6464 level, Bob's silence; everyone gets `active_speakers` naming Alice, never Bob.
// Dynacast: Alice publishes three rid layers; when both subscribers ask for the lowest only, she
// gets `publisher_layers` [true, false, false] after the off delay; when one asks for the best,
// the top layer is turned back on at once.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "tests/integration/conference_fixture.h"

using namespace sfu;
using namespace std::chrono_literals;
using client::ParticipantClient;
using conference_test::Conference;

namespace {

void receive_only(ParticipantClient::Options& options) {
  options.publish_audio = false;
  options.publish_video = false;
}

// The `active_speakers` events `who` received, as lists of participant ids.
std::vector<std::vector<std::string>> speaker_lists(const ParticipantClient& who) {
  std::vector<std::vector<std::string>> lists;
  for (const auto& m : who.messages()) {
    if (m.value("type", "") != "active_speakers") continue;
    std::vector<std::string> ids;
    for (const auto& s : m.at("speakers")) ids.push_back(s.at("participant_id").get<std::string>());
    lists.push_back(ids);
  }
  return lists;
}

std::vector<nlohmann::json> layer_messages(const ParticipantClient& who) {
  std::vector<nlohmann::json> out;
  for (const auto& m : who.messages())
    if (m.value("type", "") == "publisher_layers") out.push_back(m);
  return out;
}

}  // namespace

class ActiveSpeakersEndToEnd : public Conference {};

TEST_F(ActiveSpeakersEndToEnd, EveryoneHearsTheLoudParticipantNamedAndNeverTheSilentOne) {
  auto& alice = add_client("speakers", "alice", [](ParticipantClient::Options& o) {
    o.publish_video = false;
    o.audio_level_dbov = 6;
  });
  auto& bob = add_client("speakers", "bob", [](ParticipantClient::Options& o) {
    o.publish_video = false;
    o.audio_level_dbov = 127;
  });
  auto& carol = add_client("speakers", "carol", receive_only);
  alice.start_media();
  bob.start_media();
  ASSERT_TRUE(run_until([&] {
    return carol.received_from(alice.participant_id()).audio_packets > 0 &&
           carol.received_from(bob.participant_id()).audio_packets > 0;
  })) << describe(carol);
  for (ParticipantClient* who : {&alice, &bob, &carol}) {
    ASSERT_TRUE(run_until([&] {
      auto lists = speaker_lists(*who);
      return !lists.empty() && lists.back() == std::vector<std::string>{alice.participant_id()};
    })) << describe(*who);
  }
  run_for(1500ms);
  for (ParticipantClient* who : {&alice, &bob, &carol}) {
    for (const auto& list : speaker_lists(*who))
      EXPECT_EQ(std::count(list.begin(), list.end(), bob.participant_id()), 0) << who->participant_id();
    EXPECT_LE(speaker_lists(*who).size(), 2u) << "the list stays the same: no more events";
  }
  for (const auto& m : carol.messages()) {
    if (m.value("type", "") != "active_speakers") continue;
    EXPECT_GT(m.at("speakers").at(0).at("level").get<double>(), 0.2) << m.dump();
  }
  expect_clean_media(carol);
}

// Alice publishes three rid layers to Bob and Carol (simulcast_publisher(), receive_only);
// they ask for layers with track_settings, and Alice is told with publisher_layers.
class Dynacast : public Conference {
 protected:
  void configure(config::Config& config) override { config.media.dynacast_off_delay_ms = 500; }

  static void simulcast_publisher(ParticipantClient::Options& o) {
    o.simulcast_layers = 3;
    o.publish_audio = false;
  }

  // Joins one at a time (round-robin placement puts the n-th on worker n mod 2).
  ParticipantClient& join(const std::string& room, const std::string& name,
                          std::function<void(ParticipantClient::Options&)> customize) {
    ParticipantClient& client = add_client(room, name, std::move(customize));
    EXPECT_TRUE(run_until([&] { return client.joined(); })) << describe(client);
    return client;
  }

  // Once both receive the publisher's video: the id of its track (empty when that never happens).
  std::string wait_for_video(ParticipantClient& publisher, ParticipantClient& a, ParticipantClient& b) {
    std::string track;
    EXPECT_TRUE(run_until([&] {
      auto tracks = a.tracks_by_participant().find(publisher.participant_id());
      if (tracks == a.tracks_by_participant().end() || tracks->second.empty()) return false;
      track = tracks->second.begin()->first;
      return a.received_from(publisher.participant_id()).video_packets > 0 &&
             b.received_from(publisher.participant_id()).video_packets > 0;
    })) << describe(a);
    return track;
  }

  static void ask(ParticipantClient& who, const ParticipantClient& publisher, const std::string& track,
                  int layer) {
    ASSERT_TRUE(who.send_signaling({{"type", "track_settings"},
                                    {"participant_id", publisher.participant_id()},
                                    {"track_id", track},
                                    {"max_layer", layer}}));
  }

  // Whether the publisher's latest publisher_layers says `active` (waits for it).
  bool publisher_told(ParticipantClient& publisher, const nlohmann::json& active) {
    return run_until([&] {
      auto m = layer_messages(publisher);
      return !m.empty() && m.back().at("active") == active;
    });
  }
};

const nlohmann::json kLowestOnly = {true, false, false};
// A layer is needed with every layer below it (a subscriber steps down without waiting).
const nlohmann::json kUpToTheMiddle = {true, true, false};

TEST_F(Dynacast, UnneededLayersAreTurnedOffAndBackOnWhenAskedFor) {
  auto& alice = add_client("dynacast", "alice", simulcast_publisher);
  auto& bob = add_client("dynacast", "bob", receive_only);
  auto& carol = add_client("dynacast", "carol", receive_only);
  alice.start_media();
  const std::string track = wait_for_video(alice, carol, bob);
  ASSERT_FALSE(track.empty());
  EXPECT_TRUE(layer_messages(alice).empty()) << "everyone receives the best layer: all are needed";

  ask(bob, alice, track, 0);
  ask(carol, alice, track, 0);
  ASSERT_TRUE(publisher_told(alice, kLowestOnly)) << describe(alice);
  EXPECT_EQ(layer_messages(alice).back().at("track_id"), track);

  ask(carol, alice, track, 1);
  ASSERT_TRUE(publisher_told(alice, kUpToTheMiddle)) << describe(alice);
  EXPECT_TRUE(layer_messages(bob).empty() && layer_messages(carol).empty()) << "only to the publisher";
}

// A room spanning two workers (placement round-robin: Alice and Carol on worker 0, Bob on 1): the
// layers Bob needs cross back to Alice's worker, so a layer only he asks for comes back on, and one
// nobody asks for goes off although the track goes to another worker.
class DynacastAcrossWorkers : public Dynacast {
 protected:
  void configure(config::Config& config) override {
    Dynacast::configure(config);
    config.workers = 2;
    config.rooms.span_workers = config::SpanWorkers::RoundRobin;
  }
};

TEST_F(DynacastAcrossWorkers, TheOtherWorkersSubscribersNeedsReachThePublisher) {
  ParticipantClient& alice = join("dynacast-span", "alice", simulcast_publisher);
  ParticipantClient& bob = join("dynacast-span", "bob", receive_only);
  ParticipantClient& carol = join("dynacast-span", "carol", receive_only);
  alice.start_media();
  const std::string track = wait_for_video(alice, bob, carol);
  ASSERT_FALSE(track.empty());

  ask(bob, alice, track, 0);
  ask(carol, alice, track, 0);
  ASSERT_TRUE(publisher_told(alice, kLowestOnly)) << describe(alice);

  ask(bob, alice, track, 1);  // only the subscriber on the other worker asks for the middle layer
  ASSERT_TRUE(publisher_told(alice, kUpToTheMiddle)) << describe(alice);
}

class DynacastOff : public Conference {
 protected:
  void configure(config::Config& config) override {
    config.media.dynacast = false;
    config.media.dynacast_off_delay_ms = 100;
  }
};

TEST_F(DynacastOff, NoPublisherLayersAreSent) {
  auto& alice = add_client("dynacast-off", "alice", [](ParticipantClient::Options& o) {
    o.simulcast_layers = 3;
    o.publish_audio = false;
  });
  auto& bob = add_client("dynacast-off", "bob", receive_only);
  alice.start_media();
  std::string track;
  ASSERT_TRUE(run_until([&] {
    auto tracks = bob.tracks_by_participant().find(alice.participant_id());
    if (tracks == bob.tracks_by_participant().end() || tracks->second.empty()) return false;
    track = tracks->second.begin()->first;
    return bob.received_from(alice.participant_id()).video_packets > 0;
  })) << describe(bob);
  ASSERT_TRUE(bob.send_signaling({{"type", "track_settings"},
                                  {"participant_id", alice.participant_id()},
                                  {"track_id", track},
                                  {"max_layer", 0}}));
  run_for(1500ms);
  EXPECT_TRUE(layer_messages(alice).empty());
}
