// usrsctp's timers driven on another thread's loop (as worker 0 drives them for every worker):
// what they produce for associations owned by the test thread reaches them through the test
// thread's SctpMailbox. Run it under ThreadSanitizer (-DSFU_TSAN=ON) to check the hand-over.
#include <gtest/gtest.h>
#include <uv.h>

#include <future>
#include <memory>
#include <thread>

#include "dtls/sctp_stack.h"
#include "tests/unit/dtls/data_channel_fixture.h"

namespace sfu::dtls {
namespace {

using namespace test;
using SendResult = SctpAssociation::SendResult;

// A thread with its own loop that runs the process's SctpTimerDriver until destroyed.
class TimerThread {
 public:
  TimerThread() {
    std::future<void> ready = started_.get_future();
    thread_ = std::thread([this] {
      uv_loop_init(&loop_);
      uv_async_init(&loop_, &stop_, [](uv_async_t* handle) {
        auto* self = static_cast<TimerThread*>(handle->data);
        self->driver_.reset();
        uv_close(reinterpret_cast<uv_handle_t*>(&self->stop_), nullptr);
      });
      stop_.data = this;
      driver_ = std::make_unique<SctpTimerDriver>(&loop_);
      started_.set_value();
      uv_run(&loop_, UV_RUN_DEFAULT);
      uv_loop_close(&loop_);
    });
    ready.wait();
  }
  ~TimerThread() {
    uv_async_send(&stop_);
    thread_.join();
  }
  TimerThread(const TimerThread&) = delete;
  TimerThread& operator=(const TimerThread&) = delete;

 private:
  std::promise<void> started_;
  std::thread thread_;
  uv_loop_t loop_{};
  uv_async_t stop_{};
  std::unique_ptr<SctpTimerDriver> driver_;
};

class SctpCrossThreadTest : public DataChannelTest {};

TEST_F(SctpCrossThreadTest, TimerWorkFromAnotherThreadReachesTheOwnerThroughTheMailbox) {
  TimerThread timers;
  make({}, {}, {}, /*timers_on_loop=*/false);
  client->endpoint->connect();
  server->endpoint->connect();
  ASSERT_TRUE(run_until([&] { return client->ready && server->ready; }));
  uint16_t id = open(*client, *server, "cross-thread");

  // Everything the client sends now is dropped: only its retransmission timer, which runs on the
  // other thread, can get the message across once the link works again.
  link_->set_loss(1.0, 1);
  Bytes lonely = make_payload(3000, 42);
  ASSERT_EQ(client->endpoint->send(id, true, lonely), SendResult::kSent);
  uint64_t until = uv_now(&loop_) + 200;
  run_until([&] { return uv_now(&loop_) >= until; });
  EXPECT_TRUE(server->messages.empty());
  link_->set_loss(0, 1);
  ASSERT_TRUE(run_until([&] { return server->messages.size() == 1; })) << "no retransmission arrived";
  EXPECT_TRUE(server->messages[0].data == lonely);

  // Traffic both ways through loss, large messages included: SACK and retransmission timers fire on
  // the timer thread throughout.
  link_->set_loss(0.05, 9);
  constexpr int kCount = 60;
  for (int i = 0; i < kCount; ++i) {
    Bytes message = make_payload(i % 10 == 0 ? 100 * 1024 : 500, 100 + i);
    ASSERT_EQ(client->endpoint->send(id, true, message), SendResult::kSent);
    ASSERT_EQ(server->endpoint->send(id, false, message), SendResult::kSent);
  }
  ASSERT_TRUE(run_until(
      [&] { return server->messages.size() == 1 + kCount && client->messages.size() == kCount; }, 60'000));
  for (int i = 0; i < kCount; ++i) {
    Bytes expected = make_payload(i % 10 == 0 ? 100 * 1024 : 500, 100 + i);
    EXPECT_TRUE(server->messages[1 + i].data == expected) << i;
    EXPECT_TRUE(client->messages[i].data == expected) << i;
  }
  EXPECT_EQ(client->endpoint->sctp_counters().mailbox_drops, 0u);
  client.reset();
  server.reset();
}

}  // namespace
}  // namespace sfu::dtls
