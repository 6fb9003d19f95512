// WorkerEventSink with a real, small control queue on a test loop that the test drains itself (one
// thread plays both the worker and the control thread): room events reach the control thread in
// order, participant_removed is never lost, and a session whose events had to be dropped is
// reported once so the control plane can close it.
#include "sfu/control/worker_event_sink.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <string>
#include <vector>

namespace sfu {
namespace {

class WorkerEventSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    queue_ = std::make_unique<TaskQueue>(&loop_, 2);
    WorkerEventSink::Handlers handlers;
    handlers.deliver = [this](uint64_t session, const RoomEvent& event) {
      seen_.push_back(std::to_string(session) + ":" + std::get<PublishAnswer>(event).sdp);
    };
    handlers.participant_removed = [this](const std::string& room, const std::string& id, uint64_t session,
                                          const Error& why) {
      seen_.push_back("removed " + room + "/" + id + " " + std::to_string(session) + " " + why.message);
    };
    handlers.events_lost = [this](uint64_t session) { seen_.push_back("lost " + std::to_string(session)); };
    sink_ = std::make_unique<WorkerEventSink>(*queue_, handlers, 2);
  }
  void TearDown() override {
    sink_.reset();
    queue_.reset();
    uv_run(&loop_, UV_RUN_NOWAIT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  // The control thread drains its queue; its timer has the "worker" retry while something waits.
  void drain_until_nothing_waits() {
    for (int round = 0; round < 100; ++round) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      if (!sink_->claim_retry()) {
        if (!sink_->poster().has_waiting()) return;
        continue;
      }
      sink_->retry();
    }
    ADD_FAILURE() << "messages still wait";
  }
  void answer(uint64_t session, const std::string& text) { sink_->deliver(session, PublishAnswer{text}); }

  uv_loop_t loop_{};
  std::unique_ptr<TaskQueue> queue_;
  std::unique_ptr<WorkerEventSink> sink_;
  std::vector<std::string> seen_;
};

TEST_F(WorkerEventSinkTest, EventsAndRemovalsArriveInOrderWhenTheQueueWasFull) {
  answer(1, "a");
  answer(1, "b");  // the queue (2) is full now
  answer(1, "c");
  sink_->participant_removed("room", "p1", 1, {ErrorCode::connection_lost, "consent expired"});
  answer(2, "d");
  EXPECT_TRUE(sink_->poster().has_waiting());
  EXPECT_EQ(sink_->poster().deferred_total(), 3u);
  drain_until_nothing_waits();
  EXPECT_EQ(seen_,
            (std::vector<std::string>{"1:a", "1:b", "1:c", "removed room/p1 1 consent expired", "2:d"}));
  EXPECT_EQ(sink_->poster().refused_total(), 0u);
}

TEST_F(WorkerEventSinkTest, ASessionWhoseEventsCannotWaitIsReportedOnceAndRemovalsStillArrive) {
  answer(1, "a");
  answer(1, "b");
  answer(1, "c");  // waits (1 of 2)
  answer(1, "d");  // waits (2 of 2)
  answer(7, "e");  // dropped: session 7 is reported
  answer(7, "f");  // dropped: already reported
  for (int i = 0; i < 20; ++i)
    sink_->participant_removed("room", "p" + std::to_string(i), 9, {ErrorCode::connection_lost, "left"});
  EXPECT_EQ(sink_->poster().refused_total(), 2u);
  drain_until_nothing_waits();
  std::vector<std::string> expected{"1:a", "1:b", "1:c", "1:d", "lost 7"};
  for (int i = 0; i < 20; ++i) expected.push_back("removed room/p" + std::to_string(i) + " 9 left");
  EXPECT_EQ(seen_, expected);

  // Once everything was sent, a later drop reports the session again.
  seen_.clear();
  answer(7, "g");
  answer(7, "h");
  answer(7, "i");
  answer(7, "j");
  answer(7, "k");
  drain_until_nothing_waits();
  EXPECT_EQ(seen_, (std::vector<std::string>{"7:g", "7:h", "7:i", "7:j", "lost 7"}));
}

TEST_F(WorkerEventSinkTest, OneRetryIsClaimedAtATime) {
  EXPECT_FALSE(sink_->claim_retry()) << "nothing waits";
  answer(1, "a");
  answer(1, "b");
  answer(1, "c");
  EXPECT_TRUE(sink_->claim_retry());
  EXPECT_FALSE(sink_->claim_retry()) << "a retry is already on its way to the worker";
  sink_->retry_not_posted();
  EXPECT_TRUE(sink_->claim_retry());
  sink_->retry();  // the worker ran it (the queue is still full): the next one may be claimed
  drain_until_nothing_waits();
  EXPECT_EQ(seen_.size(), 3u);
}

}  // namespace
}  // namespace sfu
