// OrderedPoster against a fake queue whose room the test opens and closes: requests are refused,
// lifecycle messages never, events up to their limit, and the receiving side always sees the
// messages in the order they were given.
#include "sfu/control/ordered_poster.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sfu {
namespace {

// A queue that takes `room` more tasks, then refuses; run() executes what it holds, in order.
class FakeQueue {
 public:
  size_t room = 0;
  std::vector<std::string> ran;

  OrderedPoster::TryPost try_post() {
    return [this](TaskQueue::Task& task) {
      if (room == 0) return false;
      --room;
      held_.push_back(std::move(task));
      return true;
    };
  }
  TaskQueue::Task task(std::string name) {
    return [this, name] { ran.push_back(name); };
  }
  void run() {
    for (auto& task : held_) task();
    held_.clear();
  }

 private:
  std::vector<TaskQueue::Task> held_;
};

using Names = std::vector<std::string>;

TEST(OrderedPoster, PostsAtOnceWhileTheQueueHasRoom) {
  FakeQueue queue;
  queue.room = 3;
  OrderedPoster poster(queue.try_post(), 4);
  EXPECT_TRUE(poster.post_request(queue.task("join")));
  poster.post_lifecycle(queue.task("leave"));
  EXPECT_TRUE(poster.post_event(queue.task("offer")));
  queue.run();
  EXPECT_EQ(queue.ran, (Names{"join", "leave", "offer"}));
  EXPECT_FALSE(poster.has_waiting());
  EXPECT_EQ(poster.deferred_total(), 0u);
  EXPECT_EQ(poster.refused_total(), 0u);
}

TEST(OrderedPoster, LifecycleMessagesWaitForRoomAndAreNeverLost) {
  FakeQueue queue;
  OrderedPoster poster(queue.try_post(), 0);
  for (int i = 0; i < 100; ++i) poster.post_lifecycle(queue.task("leave" + std::to_string(i)));
  EXPECT_TRUE(poster.has_waiting());
  EXPECT_EQ(poster.deferred_total(), 100u);
  queue.room = 40;
  EXPECT_FALSE(poster.retry());
  queue.run();
  queue.room = 1000;
  EXPECT_TRUE(poster.retry());
  queue.run();
  ASSERT_EQ(queue.ran.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(queue.ran[i], "leave" + std::to_string(i));
  EXPECT_FALSE(poster.has_waiting());
  EXPECT_EQ(poster.refused_total(), 0u);
}

TEST(OrderedPoster, RequestsAreRefusedWhenFullAndWhileOthersWait) {
  FakeQueue queue;
  OrderedPoster poster(queue.try_post(), 4);
  EXPECT_FALSE(poster.post_request(queue.task("join")));
  poster.post_lifecycle(queue.task("leave"));
  // Room for one: the waiting leave takes it, so the request behind it is still refused (it must
  // not overtake the leave).
  queue.room = 1;
  EXPECT_FALSE(poster.post_request(queue.task("publish")));
  EXPECT_EQ(poster.refused_total(), 2u);
  EXPECT_FALSE(poster.has_waiting());
  queue.room = 1;
  EXPECT_TRUE(poster.post_request(queue.task("join again")));
  queue.run();
  EXPECT_EQ(queue.ran, (Names{"leave", "join again"}));
}

TEST(OrderedPoster, EventsWaitUpToTheirLimitThenAreRefused) {
  FakeQueue queue;
  OrderedPoster poster(queue.try_post(), 2);
  EXPECT_TRUE(poster.post_event(queue.task("e1")));
  EXPECT_TRUE(poster.post_event(queue.task("e2")));
  EXPECT_FALSE(poster.post_event(queue.task("e3")));
  // Lifecycle messages still wait beyond the events' limit.
  poster.post_lifecycle(queue.task("removed"));
  EXPECT_EQ(poster.deferred_total(), 3u);
  EXPECT_EQ(poster.refused_total(), 1u);
  queue.room = 100;
  // The next message first sends what waits: order is kept.
  EXPECT_TRUE(poster.post_event(queue.task("e4")));
  queue.run();
  EXPECT_EQ(queue.ran, (Names{"e1", "e2", "removed", "e4"}));
  // The limit counts waiting events only: once sent, there is room again.
  queue.room = 0;
  EXPECT_TRUE(poster.post_event(queue.task("e5")));
  EXPECT_TRUE(poster.post_event(queue.task("e6")));
  EXPECT_FALSE(poster.post_event(queue.task("e7")));
}

// The real TaskQueue: try_post leaves a refused task with its caller.
TEST(OrderedPoster, TaskQueueTryPostKeepsARefusedTask) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    TaskQueue queue(&loop, 1);
    int ran = 0;
    TaskQueue::Task first = [&] { ++ran; };
    TaskQueue::Task second = [&] { ran += 10; };
    EXPECT_TRUE(queue.try_post(first));
    EXPECT_FALSE(queue.try_post(second));
    ASSERT_TRUE(second) << "a refused task was consumed";
    uv_run(&loop, UV_RUN_NOWAIT);
    EXPECT_EQ(ran, 1);
    EXPECT_TRUE(queue.try_post(second));
    uv_run(&loop, UV_RUN_NOWAIT);
    EXPECT_EQ(ran, 11);
  }
  uv_run(&loop, UV_RUN_NOWAIT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace sfu
