// merge_shard_snapshots (sfu/control/shard_snapshots.h): the room GET /v1/rooms/{name} shows when
// it spans workers.
#include "sfu/control/shard_snapshots.h"

#include <gtest/gtest.h>

namespace sfu {
namespace {

ParticipantSnapshot participant(const std::string& id, uint32_t worker, bool remote, size_t subscribers) {
  ParticipantSnapshot p{id, id, {{"video", sdp::MediaKind::kVideo, remote ? 0u : 100u, 0, subscribers}}, {}};
  p.worker = worker;
  p.remote = remote;
  return p;
}

TEST(ShardSnapshots, EachParticipantOnceWithTheSubscribersOfEveryShard) {
  // Worker 0 holds ann (1 subscriber there: cid) and sees bob; worker 1 holds bob and dee.
  RoomSnapshot on0{
      "r",
      {participant("ann", 0, false, 1), participant("bob", 1, true, 2), participant("cid", 0, false, 3)}};
  RoomSnapshot on1{"r",
                   {participant("ann", 0, true, 2), participant("bob", 1, false, 1),
                    participant("cid", 0, true, 2), participant("dee", 1, false, 3)}};
  RoomSnapshot merged = merge_shard_snapshots("r", {on0, on1});
  ASSERT_EQ(merged.participants.size(), 4u);
  const char* ids[] = {"ann", "bob", "cid", "dee"};
  const size_t subscribers[] = {3, 3, 5, 3};
  const uint32_t workers[] = {0, 1, 0, 1};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(merged.participants[i].id, ids[i]);
    EXPECT_FALSE(merged.participants[i].remote);
    EXPECT_EQ(merged.participants[i].worker, workers[i]);
    EXPECT_EQ(merged.participants[i].tracks[0].subscribers, subscribers[i]) << ids[i];
    EXPECT_EQ(merged.participants[i].tracks[0].packets, 100u) << "the publisher's own shard's counts";
  }
}

TEST(ShardSnapshots, AParticipantOnlySeenRemotelyIsLeftOut) {
  RoomSnapshot merged = merge_shard_snapshots("r", {RoomSnapshot{"r", {participant("gone", 1, true, 1)}}});
  EXPECT_TRUE(merged.participants.empty());
}

}  // namespace
}  // namespace sfu
