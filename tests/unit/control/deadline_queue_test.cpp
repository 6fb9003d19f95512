#include "sfu/control/deadline_queue.h"

#include <gtest/gtest.h>

#include <string>

namespace sfu {
namespace {

using Strings = std::vector<std::string>;

TEST(DeadlineQueue, TakesDueKeysInDeadlineOrderAndLeavesTheRest) {
  DeadlineQueue<std::string> queue;
  queue.schedule("c", 300);
  queue.schedule("a", 100);
  queue.schedule("b", 200);
  EXPECT_EQ(queue.take_due(99), Strings{});
  EXPECT_EQ(queue.take_due(200), (Strings{"a", "b"}));
  EXPECT_EQ(queue.size(), 1u);
  EXPECT_TRUE(queue.scheduled("c"));
  EXPECT_FALSE(queue.scheduled("a"));
  EXPECT_EQ(queue.take_due(1000), Strings{"c"});
  EXPECT_EQ(queue.size(), 0u);
}

TEST(DeadlineQueue, SchedulingAgainMovesTheDeadlineAndCancelForgetsIt) {
  DeadlineQueue<uint64_t> queue;
  queue.schedule(7, 100);
  queue.schedule(7, 500);
  queue.schedule(8, 100);
  queue.cancel(8);
  queue.cancel(9);  // unknown: nothing happens
  EXPECT_EQ(queue.size(), 1u);
  EXPECT_TRUE(queue.take_due(499).empty());
  EXPECT_EQ(queue.take_due(500), std::vector<uint64_t>{7});
}

TEST(DeadlineQueue, KeysWithTheSameDeadlineAreAllTaken) {
  DeadlineQueue<std::string> queue;
  queue.schedule("x", 0);
  queue.schedule("y", 0);
  EXPECT_EQ(queue.take_due(0), (Strings{"x", "y"}));
}

}  // namespace
}  // namespace sfu
