#include "sfu/control/kick_bans.h"

#include <gtest/gtest.h>

#include <string>

namespace sfu {
namespace {

TEST(KickBans, ABanHoldsForItsDurationInItsRoomOnly) {
  KickBans bans(/*ban_ms=*/60000, /*capacity=*/10);
  bans.ban("r1", "sub:alice", 1000);
  EXPECT_EQ(bans.remaining_ms("r1", "sub:alice", 1000), 60000u);
  EXPECT_EQ(bans.remaining_ms("r1", "sub:alice", 60999), 1u);
  EXPECT_EQ(bans.remaining_ms("r1", "sub:bob", 2000), 0u);
  EXPECT_EQ(bans.remaining_ms("r2", "sub:alice", 2000), 0u);
  EXPECT_EQ(bans.remaining_ms("r1", "sub:alice", 61000), 0u);
  EXPECT_EQ(bans.size(), 0u);  // expired entries are dropped
}

TEST(KickBans, ASecondKickRestartsTheBan) {
  KickBans bans(60000, 10);
  bans.ban("r1", "sub:alice", 0);
  bans.ban("r1", "sub:alice", 30000);
  EXPECT_EQ(bans.remaining_ms("r1", "sub:alice", 60000), 30000u);  // the first ban's end is not the end
  EXPECT_EQ(bans.size(), 1u);
  EXPECT_EQ(bans.remaining_ms("r1", "sub:alice", 90000), 0u);
}

TEST(KickBans, AtCapacityTheOldestBanIsDropped) {
  KickBans bans(60000, 3);
  for (int i = 0; i < 5; ++i) bans.ban("r1", "sub:" + std::to_string(i), static_cast<uint64_t>(i));
  EXPECT_EQ(bans.size(), 3u);
  EXPECT_EQ(bans.remaining_ms("r1", "sub:0", 10), 0u);
  EXPECT_EQ(bans.remaining_ms("r1", "sub:1", 10), 0u);
  for (int i = 2; i < 5; ++i) EXPECT_GT(bans.remaining_ms("r1", "sub:" + std::to_string(i), 10), 0u) << i;
  // Re-kicking one identity over and over takes one entry: the others stay.
  for (int i = 0; i < 100; ++i) bans.ban("r1", "sub:2", 20 + static_cast<uint64_t>(i));
  EXPECT_EQ(bans.size(), 3u);
  for (int i = 2; i < 5; ++i) EXPECT_GT(bans.remaining_ms("r1", "sub:" + std::to_string(i), 200), 0u) << i;
}

TEST(KickBans, ZeroDurationBansNothing) {
  KickBans bans(0, 10);
  bans.ban("r1", "sub:alice", 0);
  EXPECT_EQ(bans.remaining_ms("r1", "sub:alice", 0), 0u);
  EXPECT_EQ(bans.size(), 0u);
}

}  // namespace
}  // namespace sfu
