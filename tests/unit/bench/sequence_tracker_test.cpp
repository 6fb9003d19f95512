#include "bench/sequence_tracker.h"

#include <gtest/gtest.h>

namespace sfu::bench {
namespace {

using Outcome = SequenceTracker::Outcome;

TEST(SequenceTracker, InOrderStreamHasNoLoss) {
  SequenceTracker t;
  EXPECT_TRUE(t.empty());
  for (uint32_t s = 100; s < 10100; ++s) ASSERT_EQ(t.on_sequence(s), Outcome::kNew);
  EXPECT_EQ(t.received(), 10000u);
  EXPECT_EQ(t.lost(), 0u);
  EXPECT_EQ(t.lowest(), 100u);
  EXPECT_EQ(t.highest(), 10099u);
  EXPECT_EQ(t.duplicates() + t.reordered() + t.too_old(), 0u);
}

TEST(SequenceTracker, GapsCountAsLost) {
  SequenceTracker t;
  for (uint32_t s = 0; s < 1000; ++s)
    if (s % 10 != 3) t.on_sequence(s);
  EXPECT_EQ(t.received(), 900u);
  EXPECT_EQ(t.lost(), 100u);
}

TEST(SequenceTracker, DuplicatesAreCountedOnce) {
  SequenceTracker t;
  for (uint32_t s = 0; s < 100; ++s) {
    t.on_sequence(s);
    if (s % 5 == 0) {
      EXPECT_EQ(t.on_sequence(s), Outcome::kDuplicate);
    }
  }
  EXPECT_EQ(t.on_sequence(50), Outcome::kDuplicate);
  EXPECT_EQ(t.received(), 100u);
  EXPECT_EQ(t.duplicates(), 21u);
  EXPECT_EQ(t.lost(), 0u);
}

TEST(SequenceTracker, LateArrivalsFillGaps) {
  SequenceTracker t;
  for (uint32_t s : {0u, 1u, 3u, 4u, 2u, 6u, 5u}) EXPECT_EQ(t.on_sequence(s), Outcome::kNew) << s;
  EXPECT_EQ(t.received(), 7u);
  EXPECT_EQ(t.reordered(), 2u);
  EXPECT_EQ(t.lost(), 0u);
  // The first packet seen need not be the lowest.
  SequenceTracker u;
  u.on_sequence(10);
  u.on_sequence(8);
  EXPECT_EQ(u.lowest(), 8u);
  EXPECT_EQ(u.lost(), 1u);  // 9
}

TEST(SequenceTracker, WindowSlidesWithoutStaleBits) {
  SequenceTracker t;
  t.on_sequence(5);
  // A jump of exactly one window: sequence 5 + kWindow lands on the same bit as 5.
  EXPECT_EQ(t.on_sequence(5 + SequenceTracker::kWindow), Outcome::kNew);
  EXPECT_EQ(t.on_sequence(5), Outcome::kTooOld);
  // 6 is still inside the window (highest - 6 < kWindow) and was never seen.
  EXPECT_EQ(t.on_sequence(6), Outcome::kNew);
  EXPECT_EQ(t.on_sequence(SequenceTracker::kWindow + 6), Outcome::kNew);
  EXPECT_EQ(t.on_sequence(SequenceTracker::kWindow + 5), Outcome::kDuplicate);
  // Far jump clears everything.
  EXPECT_EQ(t.on_sequence(100000), Outcome::kNew);
  EXPECT_EQ(t.on_sequence(100000 - 1), Outcome::kNew);
  EXPECT_EQ(t.on_sequence(100000 - SequenceTracker::kWindow + 1), Outcome::kNew);
  EXPECT_EQ(t.on_sequence(100000 - SequenceTracker::kWindow), Outcome::kTooOld);
  EXPECT_EQ(t.too_old(), 2u);
}

TEST(SequenceTracker, SmallJumpsClearOnlyTheSkippedBits) {
  SequenceTracker t;
  for (uint32_t s = 0; s < 3 * SequenceTracker::kWindow; s += 3)
    ASSERT_EQ(t.on_sequence(s), Outcome::kNew) << s;
  // Every skipped sequence inside the window is reported new, every received one duplicate.
  uint32_t high = t.highest();
  for (uint32_t s = high - SequenceTracker::kWindow + 1; s <= high; ++s) {
    SequenceTracker copy = t;
    ASSERT_EQ(copy.on_sequence(s), s % 3 == 0 ? Outcome::kDuplicate : Outcome::kNew) << s;
  }
}

}  // namespace
}  // namespace sfu::bench
