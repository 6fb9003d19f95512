// A room spanning two workers through the rooms' own seams (room_shard.h): two real workers with
// the rings the control plane would build between them, a recording RoomEvents per worker, and the
// test relaying the shards' messages as the control plane does. A new shard holds its joins until
// the other's state arrives, so its first participant's `joined` lists the whole room; proxies
// appear and go with the other worker's participants and tracks; applying a message twice changes
// nothing.
#include <gtest/gtest.h>

#include <memory>
#include <mutex>

#include "sfu/media/room.h"
#include "tests/unit/media/room_test_support.h"

namespace sfu {
namespace {

using media_test::all_of_type;
using media_test::on_worker;
using media_test::parse_sdp_file;

constexpr uint64_t kAlice = 11, kBob = 22, kCarol = 33;

// Records shard messages besides the sessions' events.
class ShardRecordingEvents : public media_test::RecordingRoomEvents {
 public:
  void to_shards(ShardMessage message) override {
    std::lock_guard lock(mutex_);
    messages_.push_back(std::move(message));
  }
  std::vector<ShardMessage> take_messages() {
    std::lock_guard lock(mutex_);
    std::vector<ShardMessage> out;
    out.swap(messages_);
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<ShardMessage> messages_;
};

class RoomShardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certificate_ = dtls::DtlsCertificate::generate();
    ASSERT_TRUE(certificate_);
    config::Config config = media_test::worker_test_config();
    config.workers = 2;
    for (uint32_t i = 0; i < 2; ++i) {
      workers_[i] = std::make_unique<Worker>(i, config, certificate_);
      ASSERT_TRUE(workers_[i]->start().ok());
    }
    // The rings, as ControlPlane::link_workers builds them.
    CrossWorkerHub& hub0 = workers_[0]->cross_worker();
    CrossWorkerHub& hub1 = workers_[1]->cross_worker();
    auto to1 = std::make_shared<CrossWorkerLink>(0, 1, 64, hub0.counters(), hub1.counters(), hub1.doorbell());
    auto to0 = std::make_shared<CrossWorkerLink>(1, 0, 64, hub1.counters(), hub0.counters(), hub0.doorbell());
    on_worker(*workers_[0], [=](Worker& w) { return w.cross_worker().attach(1, to1, to0), true; });
    on_worker(*workers_[1], [=](Worker& w) { return w.cross_worker().attach(0, to0, to1), true; });
    on_worker(*workers_[0], [this](Worker& w) { return w.open_room_shard("big", events_[0], {}, {}), true; });
  }
  void TearDown() override {
    for (auto& w : workers_) w->stop();  // both stop before either is freed
    for (auto& w : workers_) w.reset();
  }

  // Opens the room on worker 1 while it is on worker 0, in the control plane's order.
  void open_second_shard() {
    on_worker(*workers_[1],
              [this](Worker& w) { return w.open_room_shard("big", events_[1], {}, {0}), true; });
    on_worker(*workers_[0], [](Worker& w) { return w.find_room("big")->add_peer_shard(1), true; });
  }
  // Relays what worker `from`'s shard sent (to the other shard), as the control plane does;
  // returns how many messages.
  size_t relay(uint32_t from) {
    std::vector<ShardMessage> messages = events_[from].take_messages();
    for (const ShardMessage& message : messages) {
      uint32_t to = 1 - from;
      if (message.to_worker && *message.to_worker != to) continue;
      on_worker(*workers_[to],
                [&](Worker& w) { return w.find_room("big")->on_shard_message(message), true; });
    }
    return messages.size();
  }
  void relay_all() {
    while (relay(0) + relay(1) > 0) {
    }
  }
  Status join(uint32_t worker, const std::string& id, uint64_t session) {
    return on_worker(*workers_[worker], [&](Worker& w) { return w.find_room("big")->join(id, id, session); });
  }
  void publish(uint32_t worker, const std::string& id) {
    sdp::SessionDescription offer = parse_sdp_file("chromium_publish_offer.sdp");
    on_worker(*workers_[worker], [&](Worker& w) { return w.find_room("big")->publish(id, offer), true; });
  }
  void leave(uint32_t worker, const std::string& id) {
    on_worker(*workers_[worker], [&](Worker& w) { return w.find_room("big")->leave(id, "left"), true; });
  }
  RoomSnapshot describe(uint32_t worker) {
    return on_worker(*workers_[worker], [](Worker& w) { return w.find_room("big")->describe(); });
  }
  size_t tables(uint32_t worker, bool exported) {
    return on_worker(*workers_[worker], [exported](Worker& w) {
      return exported ? w.cross_worker().tables().exported() : w.cross_worker().tables().imported();
    });
  }

  std::shared_ptr<dtls::DtlsCertificate> certificate_;
  ShardRecordingEvents events_[2];
  std::unique_ptr<Worker> workers_[2];
};

TEST_F(RoomShardTest, ANewShardHoldsItsJoinsUntilTheOtherShardsStateArrives) {
  ASSERT_TRUE(join(0, "alice", kAlice).ok());
  publish(0, "alice");
  events_[0].take(kAlice);
  EXPECT_TRUE(events_[0].take_messages().empty()) << "a room on one worker tells no other shard";

  open_second_shard();
  ASSERT_TRUE(join(1, "bob", kBob).ok());
  EXPECT_TRUE(events_[1].take(kBob).empty()) << "held until worker 0's state arrives";

  EXPECT_EQ(relay(0), 1u);  // the state
  auto bob = events_[1].take(kBob);
  ASSERT_FALSE(bob.empty());
  const Joined* joined = std::get_if<Joined>(&bob.front());
  ASSERT_NE(joined, nullptr);
  ASSERT_EQ(joined->participants.size(), 1u);
  EXPECT_EQ(joined->participants[0].id, "alice");
  EXPECT_EQ(joined->participants[0].tracks.size(), 2u);
  auto offers = all_of_type<SubscribeOffer>(bob);
  ASSERT_EQ(offers.size(), 1u) << "Bob is offered Alice's two tracks";
  EXPECT_NE(offers[0].sdp.find("m=video"), std::string::npos);
  EXPECT_EQ(tables(1, /*exported=*/false), 2u);

  // Worker 0 learns of Bob, and that worker 1 now wants media: Alice's tracks cross from now on.
  relay(1);
  auto alice = events_[0].take(kAlice);
  auto arrived = all_of_type<ParticipantJoined>(alice);
  ASSERT_EQ(arrived.size(), 1u);
  EXPECT_EQ(arrived[0].participant_id, "bob");
  EXPECT_EQ(tables(0, /*exported=*/true), 2u);

  // Each shard describes its own participants, and the other's as remote.
  RoomSnapshot on1 = describe(1);
  ASSERT_EQ(on1.participants.size(), 2u);
  for (const auto& p : on1.participants) {
    EXPECT_EQ(p.remote, p.id == "alice") << p.id;
    EXPECT_EQ(p.worker, p.id == "alice" ? 0u : 1u) << p.id;
    if (p.id != "alice") continue;
    for (const auto& t : p.tracks) EXPECT_EQ(t.subscribers, 1u) << "Bob's down-tracks, on worker 1";
  }
}

TEST_F(RoomShardTest, ParticipantsAndTracksOfTheOtherWorkerComeAndGoWithTheirMessages) {
  open_second_shard();
  relay_all();
  ASSERT_TRUE(join(0, "alice", kAlice).ok());
  ASSERT_TRUE(join(1, "bob", kBob).ok());
  relay_all();
  events_[0].take(kAlice);
  events_[1].take(kBob);

  publish(0, "alice");
  relay_all();
  auto bob = events_[1].take(kBob);
  EXPECT_EQ(all_of_type<TrackPublished>(bob).size(), 2u);
  EXPECT_EQ(all_of_type<SubscribeOffer>(bob).size(), 1u);

  // A message applied twice (a new shard may get one both alone and inside a state) changes nothing.
  publish(0, "alice");  // the same offer again: the tracks stay, nothing is sent
  EXPECT_TRUE(events_[0].take_messages().empty());
  on_worker(*workers_[0], [](Worker& w) { return w.find_room("big")->add_peer_shard(1), true; });
  relay(0);  // a second full state
  EXPECT_TRUE(all_of_type<TrackPublished>(events_[1].take(kBob)).empty());
  EXPECT_EQ(tables(1, /*exported=*/false), 2u);

  // A participant joining worker 1 later sees Alice at once (worker 1 is synced now).
  ASSERT_TRUE(join(1, "carol", kCarol).ok());
  auto carol = events_[1].take(kCarol);
  ASSERT_FALSE(carol.empty());
  EXPECT_EQ(std::get<Joined>(carol.front()).participants.size(), 2u);

  // Alice leaves: worker 1's participants see her tracks go, then her.
  leave(0, "alice");
  relay_all();
  bob = events_[1].take(kBob);
  EXPECT_EQ(all_of_type<TrackUnpublished>(bob).size(), 2u);
  auto left = all_of_type<ParticipantLeft>(bob);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].participant_id, "alice");
  EXPECT_EQ(left[0].reason, "left");
  EXPECT_EQ(tables(0, /*exported=*/true), 0u);
  EXPECT_EQ(tables(1, /*exported=*/false), 0u);
}

TEST_F(RoomShardTest, AHeldJoinThatLeavesNeverJoins) {
  open_second_shard();
  ASSERT_TRUE(join(1, "bob", kBob).ok());
  leave(1, "bob");
  relay_all();
  EXPECT_TRUE(events_[1].take(kBob).empty());
  EXPECT_TRUE(all_of_type<ParticipantJoined>(events_[0].take(kAlice)).empty());
  EXPECT_EQ(describe(1).participants.size(), 0u);
}

}  // namespace
}  // namespace sfu
