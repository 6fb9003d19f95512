// SpscRing (sfu/media/worker_ring.h): wrap-around, a full ring refusing, batches, and two threads
// passing every value in order (run under ThreadSanitizer by scripts/test.sh). No timing.
#include "sfu/media/worker_ring.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <vector>

namespace sfu {
namespace {

struct Slot {
  uint64_t value = 0;
  uint64_t check = 0;  // ~value: a slot read half-written would not match
};

bool push(SpscRing<Slot>& ring, uint64_t value) {
  Slot* slot = ring.claim();
  if (!slot) return false;
  slot->value = value;
  slot->check = ~value;
  ring.publish();
  return true;
}

TEST(SpscRing, CapacityIsAPowerOfTwo) {
  EXPECT_EQ(SpscRing<Slot>(1).capacity(), 2u);
  EXPECT_EQ(SpscRing<Slot>(16).capacity(), 16u);
  EXPECT_EQ(SpscRing<Slot>(1000).capacity(), 1024u);
}

TEST(SpscRing, EmptyRingHasNothingToPeek) {
  SpscRing<Slot> ring(4);
  EXPECT_EQ(ring.peek(), nullptr);
  EXPECT_EQ(ring.drain(10, [](Slot&) { ADD_FAILURE(); }), 0u);
}

TEST(SpscRing, FullRingRefusesUntilTheConsumerReleases) {
  SpscRing<Slot> ring(4);
  for (uint64_t i = 0; i < 4; ++i) EXPECT_TRUE(push(ring, i));
  EXPECT_FALSE(push(ring, 4)) << "full";
  EXPECT_EQ(ring.claim(), nullptr);
  Slot* oldest = ring.peek();
  ASSERT_NE(oldest, nullptr);
  EXPECT_EQ(oldest->value, 0u);
  ring.release();
  EXPECT_TRUE(push(ring, 4)) << "one slot free again";
  EXPECT_FALSE(push(ring, 5));
}

TEST(SpscRing, WrapsAroundManyTimesInOrder) {
  SpscRing<Slot> ring(8);
  uint64_t next_in = 0, next_out = 0;
  for (int round = 0; round < 1000; ++round) {
    // 5 in, 5 out per round: the indexes pass the capacity again and again.
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(push(ring, next_in++));
    for (int i = 0; i < 5; ++i) {
      Slot* slot = ring.peek();
      ASSERT_NE(slot, nullptr);
      EXPECT_EQ(slot->value, next_out++);
      ring.release();
    }
  }
  EXPECT_EQ(ring.peek(), nullptr);
}

TEST(SpscRing, DrainTakesABatchUpToItsLimitOldestFirst) {
  SpscRing<Slot> ring(16);
  for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(push(ring, i));
  std::vector<uint64_t> seen;
  EXPECT_EQ(ring.drain(4, [&](Slot& s) { seen.push_back(s.value); }), 4u);
  EXPECT_EQ(seen, (std::vector<uint64_t>{0, 1, 2, 3}));
  // The batch's slots are free again: six more fit besides the six still queued.
  for (uint64_t i = 10; i < 20; ++i) ASSERT_TRUE(push(ring, i));
  EXPECT_FALSE(push(ring, 20));
  seen.clear();
  EXPECT_EQ(ring.drain(100, [&](Slot& s) { seen.push_back(s.value); }), 16u);
  for (uint64_t i = 0; i < 16; ++i) EXPECT_EQ(seen[i], i + 4);
}

// One producer and one consumer thread, as two workers: every value arrives once, in order, intact;
// the producer retries when the ring is full (a worker would count a drop instead).
TEST(SpscRing, TwoThreadsPassEveryValueInOrder) {
  constexpr uint64_t kValues = 200000;
  SpscRing<Slot> ring(64);
  std::thread producer([&] {
    for (uint64_t i = 0; i < kValues;) {
      if (push(ring, i))
        ++i;
      else
        std::this_thread::yield();
    }
  });
  uint64_t expected = 0;
  uint64_t torn = 0;
  while (expected < kValues) {
    size_t taken = ring.drain(16, [&](Slot& s) {
      if (s.value != expected || s.check != ~s.value) ++torn;
      ++expected;
    });
    if (taken == 0) std::this_thread::yield();
  }
  producer.join();
  EXPECT_EQ(torn, 0u);
  EXPECT_EQ(ring.peek(), nullptr);
}

}  // namespace
}  // namespace sfu
