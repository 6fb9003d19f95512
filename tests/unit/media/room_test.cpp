// Room through its seams: a real worker (loopback, ephemeral port) owns the room and the
// transports; a recording RoomEvents shows exactly which typed events each session gets. Offers
// and answers are the captured browser SDPs in tests/data/sdp.
#include "sfu/media/room.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "tests/unit/media/room_test_support.h"

namespace sfu {
namespace {

using media_test::all_of_type;
using media_test::on_worker;
using media_test::parse_sdp_file;
using media_test::RecordingRoomEvents;

constexpr uint64_t kAliceSession = 11;
constexpr uint64_t kBobSession = 22;
constexpr uint64_t kCarolSession = 33;

// The one event a session got, by value (callers pass the temporary from take()).
template <typename T>
T only(const std::vector<RoomEvent>& events) {
  EXPECT_EQ(events.size(), 1u);
  const T* event = events.empty() ? nullptr : std::get_if<T>(&events.front());
  EXPECT_NE(event, nullptr) << "first event has index "
                            << (events.empty() ? -1 : int(events.front().index()));
  return event ? *event : T{};
}

class RoomTest : public media_test::WorkerFixture {
 protected:
  void SetUp() override {
    WorkerFixture::SetUp();
    create_room(RoomLimits{});
  }
  void create_room(RoomLimits limits) {
    on_worker(*worker_, [this, limits](Worker& w) {
      w.remove_room("standup");
      w.create_room("standup", events_, limits);
      return true;
    });
  }
  Status join(const std::string& id, const std::string& name, uint64_t session) {
    return on_worker(*worker_, [&](Worker& w) { return w.find_room("standup")->join(id, name, session); });
  }
  void publish(const std::string& id, const std::string& sdp_file) {
    sdp::SessionDescription offer = parse_sdp_file(sdp_file);
    on_worker(*worker_, [&](Worker& w) {
      w.find_room("standup")->publish(id, offer);
      return true;
    });
  }
  void subscribe_answer(const std::string& id, const sdp::SessionDescription& answer) {
    on_worker(*worker_, [&](Worker& w) {
      w.find_room("standup")->subscribe_answer(id, answer);
      return true;
    });
  }
  void leave(const std::string& id) {
    on_worker(*worker_, [&](Worker& w) {
      w.find_room("standup")->leave(id, "left");
      return true;
    });
  }
  RoomSnapshot describe() {
    return on_worker(*worker_, [](Worker& w) { return w.find_room("standup")->describe(); });
  }
  void join_alice_and_bob() {
    ASSERT_TRUE(join("alice", "Alice", kAliceSession).ok());
    ASSERT_TRUE(join("bob", "Bob", kBobSession).ok());
    events_.take(kAliceSession);
    events_.take(kBobSession);
  }

  RecordingRoomEvents events_;
};

TEST_F(RoomTest, JoinDeliversJoinedToTheNewcomer) {
  ASSERT_TRUE(join("alice", "Alice", kAliceSession).ok());
  auto events = events_.take(kAliceSession);
  Joined joined = only<Joined>(events);
  EXPECT_EQ(joined.room, "standup");
  EXPECT_EQ(joined.participant_id, "alice");
  EXPECT_TRUE(joined.participants.empty());
  EXPECT_EQ(worker_->transport_count(), 2u);  // publish and subscribe
}

TEST_F(RoomTest, SecondJoinIsAnnouncedToTheFirstAndListsTheFirst) {
  ASSERT_TRUE(join("alice", "Alice", kAliceSession).ok());
  events_.take(kAliceSession);
  ASSERT_TRUE(join("bob", "Bob", kBobSession).ok());

  ParticipantJoined announced = only<ParticipantJoined>(events_.take(kAliceSession));
  EXPECT_EQ(announced.participant_id, "bob");
  EXPECT_EQ(announced.name, "Bob");

  auto bob_events = events_.take(kBobSession);
  Joined joined = only<Joined>(bob_events);
  ASSERT_EQ(joined.participants.size(), 1u);
  EXPECT_EQ(joined.participants[0].id, "alice");
  EXPECT_EQ(joined.participants[0].name, "Alice");
  EXPECT_TRUE(joined.participants[0].tracks.empty());
}

TEST_F(RoomTest, ChromiumPublishIsAnsweredAnnouncedAndOfferedToOthers) {
  join_alice_and_bob();
  publish("alice", "chromium_publish_offer.sdp");

  PublishAnswer answer = only<PublishAnswer>(events_.take(kAliceSession));
  auto parsed_answer = sdp::parse_sdp(answer.sdp);
  ASSERT_TRUE(std::holds_alternative<sdp::SessionDescription>(parsed_answer)) << answer.sdp;
  EXPECT_EQ(std::get<sdp::SessionDescription>(parsed_answer).media.size(), 2u);

  auto bob_events = events_.take(kBobSession);
  auto published = all_of_type<TrackPublished>(bob_events);
  ASSERT_EQ(published.size(), 2u);
  EXPECT_EQ(published[0].participant_id, "alice");
  EXPECT_EQ(published[0].track.kind, sdp::MediaKind::kAudio);
  EXPECT_EQ(published[1].track.kind, sdp::MediaKind::kVideo);
  EXPECT_NE(published[0].track.id, published[1].track.id);

  auto offers = all_of_type<SubscribeOffer>(bob_events);
  ASSERT_EQ(offers.size(), 1u);
  auto offer = sdp::parse_sdp(offers[0].sdp);
  ASSERT_TRUE(std::holds_alternative<sdp::SessionDescription>(offer)) << offers[0].sdp;
  const auto& media = std::get<sdp::SessionDescription>(offer).media;
  ASSERT_EQ(media.size(), 2u);
  EXPECT_EQ(media[0].kind, sdp::MediaKind::kAudio);
  EXPECT_EQ(media[1].kind, sdp::MediaKind::kVideo);
  EXPECT_NE(offers[0].sdp.find("a=candidate:"), std::string::npos);
  EXPECT_TRUE(all_of_type<RequestFailed>(bob_events).empty());
}

TEST_F(RoomTest, FirefoxPublishIsAnswered) {
  join_alice_and_bob();
  publish("alice", "firefox_publish_offer.sdp");
  PublishAnswer answer = only<PublishAnswer>(events_.take(kAliceSession));
  EXPECT_TRUE(std::holds_alternative<sdp::SessionDescription>(sdp::parse_sdp(answer.sdp))) << answer.sdp;
  EXPECT_EQ(all_of_type<TrackPublished>(events_.take(kBobSession)).size(), 2u);
}

TEST_F(RoomTest, ALaterJoinerIsOfferedWhatIsAlreadyPublished) {
  ASSERT_TRUE(join("alice", "Alice", kAliceSession).ok());
  publish("alice", "chromium_publish_offer.sdp");
  events_.take(kAliceSession);
  ASSERT_TRUE(join("bob", "Bob", kBobSession).ok());
  auto bob_events = events_.take(kBobSession);
  ASSERT_FALSE(bob_events.empty());
  const Joined* joined = std::get_if<Joined>(&bob_events.front());
  ASSERT_NE(joined, nullptr);
  ASSERT_EQ(joined->participants.size(), 1u);
  EXPECT_EQ(joined->participants[0].tracks.size(), 2u);
  EXPECT_EQ(all_of_type<SubscribeOffer>(bob_events).size(), 1u);
}

TEST_F(RoomTest, SubscribeAnswerIsAcceptedOnceAndOnlyWhileAnOfferIsOutstanding) {
  join_alice_and_bob();
  publish("alice", "chromium_publish_offer.sdp");
  events_.take(kAliceSession);
  ASSERT_EQ(all_of_type<SubscribeOffer>(events_.take(kBobSession)).size(), 1u);

  subscribe_answer("bob", parse_sdp_file("chromium_subscribe_answer.sdp"));
  EXPECT_TRUE(events_.take(kBobSession).empty());

  subscribe_answer("bob", parse_sdp_file("chromium_subscribe_answer.sdp"));
  RequestFailed failed = only<RequestFailed>(events_.take(kBobSession));
  EXPECT_EQ(failed.error.code, ErrorCode::bad_request);
  EXPECT_EQ(failed.request_type, "subscribe_answer");
}

// The server can only be the DTLS server: an answer taking the passive role would leave both sides
// waiting for a ClientHello. Refused, and a fresh offer follows for a proper answer.
TEST_F(RoomTest, SubscribeAnswerWithSetupPassiveIsRefusedAndAFreshOfferFollows) {
  join_alice_and_bob();
  publish("alice", "chromium_publish_offer.sdp");
  events_.take(kAliceSession);
  ASSERT_EQ(all_of_type<SubscribeOffer>(events_.take(kBobSession)).size(), 1u);

  sdp::SessionDescription passive = parse_sdp_file("chromium_subscribe_answer.sdp");
  for (auto& m : passive.media) m.setup = sdp::SetupRole::kPassive;
  subscribe_answer("bob", passive);
  auto events = events_.take(kBobSession);
  auto failed = all_of_type<RequestFailed>(events);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].error.code, ErrorCode::bad_request);
  EXPECT_EQ(failed[0].request_type, "subscribe_answer");
  EXPECT_NE(failed[0].error.message.find("must use a=setup:active"), std::string::npos)
      << failed[0].error.message;
  EXPECT_EQ(all_of_type<SubscribeOffer>(events).size(), 1u) << "a fresh offer follows";

  subscribe_answer("bob", parse_sdp_file("chromium_subscribe_answer.sdp"));
  EXPECT_TRUE(events_.take(kBobSession).empty()) << "the fresh offer was outstanding";
}

TEST_F(RoomTest, UnusablePublishOfferFailsWithBadRequestAndChangesNothing) {
  join_alice_and_bob();
  // A well-formed description the server cannot accept as a publish offer: no DTLS fingerprint.
  std::string text = media_test::read_sdp("chromium_publish_offer.sdp");
  std::string without_fingerprint;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("a=fingerprint:", 0) != 0) without_fingerprint += line + "\n";
  auto parsed = sdp::parse_sdp(without_fingerprint);
  ASSERT_TRUE(std::holds_alternative<sdp::SessionDescription>(parsed));
  sdp::SessionDescription offer = std::get<sdp::SessionDescription>(parsed);
  on_worker(*worker_, [&](Worker& w) {
    w.find_room("standup")->publish("alice", offer);
    return true;
  });

  RequestFailed failed = only<RequestFailed>(events_.take(kAliceSession));
  EXPECT_EQ(failed.error.code, ErrorCode::bad_request);
  EXPECT_EQ(failed.request_type, "publish");
  EXPECT_NE(failed.error.message.find("publish offer rejected: "), std::string::npos) << failed.error.message;
  EXPECT_TRUE(events_.take(kBobSession).empty());
  EXPECT_TRUE(describe().participants.front().tracks.empty());
}

TEST_F(RoomTest, TooManyTracksIsRefused) {
  create_room(RoomLimits{100, 1});
  join_alice_and_bob();
  publish("alice", "chromium_publish_offer.sdp");  // audio and video: two tracks
  RequestFailed failed = only<RequestFailed>(events_.take(kAliceSession));
  EXPECT_EQ(failed.error.code, ErrorCode::too_many_tracks);
  EXPECT_EQ(failed.request_type, "publish");
  EXPECT_TRUE(events_.take(kBobSession).empty());
}

TEST_F(RoomTest, FullRoomRefusesTheJoinWithRoomFull) {
  create_room(RoomLimits{2, 8});
  join_alice_and_bob();
  Status refused = join("carol", "Carol", kCarolSession);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::room_full);

  RequestFailed failed = only<RequestFailed>(events_.take(kCarolSession));
  EXPECT_EQ(failed.error.code, ErrorCode::room_full);
  EXPECT_EQ(failed.error.message, "room 'standup' is full");
  EXPECT_EQ(failed.request_type, "join");
  EXPECT_TRUE(events_.take(kAliceSession).empty());
  EXPECT_EQ(describe().participants.size(), 2u);
}

TEST_F(RoomTest, LeaveTellsTheOthersAndFreesTheTransports) {
  join_alice_and_bob();
  EXPECT_EQ(worker_->transport_count(), 4u);
  leave("bob");
  ParticipantLeft left = only<ParticipantLeft>(events_.take(kAliceSession));
  EXPECT_EQ(left.participant_id, "bob");
  EXPECT_TRUE(events_.take(kBobSession).empty());
  EXPECT_EQ(worker_->transport_count(), 2u);
  EXPECT_TRUE(events_.removed().empty());  // a leave asked by the control plane is not reported back
  auto snapshot = describe();
  ASSERT_EQ(snapshot.participants.size(), 1u);
  EXPECT_EQ(snapshot.participants[0].id, "alice");
}

TEST_F(RoomTest, APublisherLeavingUnpublishesItsTracksFirst) {
  join_alice_and_bob();
  publish("alice", "chromium_publish_offer.sdp");
  events_.take(kBobSession);
  leave("alice");
  auto bob_events = events_.take(kBobSession);
  auto unpublished = all_of_type<TrackUnpublished>(bob_events);
  ASSERT_EQ(unpublished.size(), 2u);
  EXPECT_EQ(unpublished[0].participant_id, "alice");
  ASSERT_FALSE(bob_events.empty());
  const ParticipantLeft* left = std::get_if<ParticipantLeft>(&bob_events.back());
  ASSERT_NE(left, nullptr);
  EXPECT_EQ(left->participant_id, "alice");
}

TEST_F(RoomTest, DescribeSnapshotsParticipantsAndTracks) {
  join_alice_and_bob();
  publish("alice", "chromium_publish_offer.sdp");
  RoomSnapshot snapshot = describe();
  EXPECT_EQ(snapshot.name, "standup");
  ASSERT_EQ(snapshot.participants.size(), 2u);
  auto alice = std::find_if(snapshot.participants.begin(), snapshot.participants.end(),
                            [](const ParticipantSnapshot& p) { return p.id == "alice"; });
  ASSERT_NE(alice, snapshot.participants.end());
  EXPECT_EQ(alice->name, "Alice");
  ASSERT_EQ(alice->tracks.size(), 2u);
  for (const TrackSnapshot& track : alice->tracks) {
    EXPECT_EQ(track.packets, 0u);
    EXPECT_EQ(track.bytes, 0u);
    EXPECT_EQ(track.subscribers, 1u);  // bob
  }
  EXPECT_EQ(alice->tracks[0].kind, sdp::MediaKind::kAudio);
  EXPECT_EQ(alice->tracks[1].kind, sdp::MediaKind::kVideo);
}

// rtc.join_timeout_s (1 s here; the config schema allows 5 s at least): participants none of whose
// connections ever came up are removed, and the control plane is told why.
class RoomJoinTimeoutTest : public RoomTest {
 protected:
  void configure(config::Config& config) override { config.rtc.join_timeout_s = 1; }
};

TEST_F(RoomJoinTimeoutTest, ParticipantsWithNoConnectionAreRemovedWithJoinTimeout) {
  join_alice_and_bob();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (events_.removed().size() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto removed = events_.removed();
  ASSERT_EQ(removed.size(), 2u);
  for (const auto& r : removed) {
    EXPECT_EQ(r.room, "standup");
    EXPECT_EQ(r.why.code, ErrorCode::join_timeout);
    EXPECT_EQ(r.why.message, "no media connection came up within 1 s of join");
  }
  EXPECT_TRUE(describe().participants.empty());
  EXPECT_EQ(worker_->transport_count(), 0u);
  EXPECT_EQ(worker_->join_timeouts(), 2u);
}

}  // namespace
}  // namespace sfu
