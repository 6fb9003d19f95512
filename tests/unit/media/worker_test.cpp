// Worker through its public seams: it starts on an ephemeral loopback port, runs posted tasks on
// its own thread in order, keeps a directory of rooms, and stops promptly.
#include "sfu/media/worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "tests/unit/media/room_test_support.h"

namespace sfu {
namespace {

using media_test::on_worker;

class WorkerTest : public media_test::WorkerFixture {};

TEST_F(WorkerTest, StartsOnAnEphemeralLoopbackPort) {
  EXPECT_TRUE(worker_->running());
  EXPECT_NE(worker_->udp_address().port(), 0);
  EXPECT_TRUE(worker_->udp_address().is_loopback());
  EXPECT_EQ(worker_->index(), 0u);
}

TEST_F(WorkerTest, RunsPostedTasksInOrderOnItsOwnThread) {
  auto order = std::make_shared<std::vector<int>>();
  auto thread_ids = std::make_shared<std::vector<std::thread::id>>();
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(worker_->post([order, thread_ids, i](Worker&) {
      order->push_back(i);
      thread_ids->push_back(std::this_thread::get_id());
    }));
  // The round trip happens after every task posted before it.
  size_t seen = on_worker(*worker_, [order](Worker&) { return order->size(); });
  ASSERT_EQ(seen, 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ((*order)[i], i);
  for (const auto& id : *thread_ids) {
    EXPECT_NE(id, std::this_thread::get_id());
    EXPECT_EQ(id, thread_ids->front());
  }
}

// A task is a handler boundary: one that throws is counted and the worker keeps serving.
TEST_F(WorkerTest, ATaskThatThrowsIsCountedAndTheWorkerGoesOn) {
  EXPECT_EQ(worker_->failed_tasks(), 0u);
  ASSERT_TRUE(worker_->post([](Worker&) { throw std::runtime_error("bug"); }));
  int answer = on_worker(*worker_, [](Worker&) { return 42; });
  EXPECT_EQ(answer, 42);
  EXPECT_EQ(worker_->failed_tasks(), 1u);
  EXPECT_TRUE(worker_->running());
}

TEST_F(WorkerTest, CreatesFindsAndRemovesRooms) {
  media_test::RecordingRoomEvents events;
  bool same = on_worker(*worker_, [&](Worker& w) {
    Room& first = w.create_room("a", events, RoomLimits{});
    Room& again = w.create_room("a", events, RoomLimits{});
    w.create_room("b", events, RoomLimits{});
    return &first == &again && w.find_room("a") == &first;
  });
  EXPECT_TRUE(same);
  EXPECT_EQ(worker_->room_count(), 2u);
  EXPECT_EQ(on_worker(*worker_, [](Worker& w) { return w.find_room("missing"); }), nullptr);

  on_worker(*worker_, [](Worker& w) {
    w.remove_room("a");
    w.remove_room("missing");  // harmless
    return true;
  });
  EXPECT_EQ(worker_->room_count(), 1u);
  EXPECT_EQ(on_worker(*worker_, [](Worker& w) { return w.find_room("a"); }), nullptr);
  EXPECT_NE(on_worker(*worker_, [](Worker& w) { return w.find_room("b"); }), nullptr);
}

TEST_F(WorkerTest, CreatesFindsAndDestroysTransports) {
  struct NullObserver : WebRtcTransport::Observer {
    void on_transport_connected(WebRtcTransport&) override {}
    void on_transport_closed(WebRtcTransport&, std::string_view) override {}
    void on_rtp(WebRtcTransport&, uint8_t*, size_t, int64_t) override {}
    void on_rtcp(WebRtcTransport&, uint8_t*, size_t) override {}
  } observer;
  uint64_t id = on_worker(*worker_, [&](Worker& w) { return w.create_transport(observer).id(); });
  EXPECT_EQ(worker_->transport_count(), 1u);
  EXPECT_TRUE(on_worker(*worker_, [id](Worker& w) { return w.find_transport(id) != nullptr; }));
  on_worker(*worker_, [id](Worker& w) {
    w.destroy_transport(id);
    return true;
  });
  EXPECT_EQ(worker_->transport_count(), 0u);
  EXPECT_FALSE(on_worker(*worker_, [id](Worker& w) { return w.find_transport(id) != nullptr; }));
}

TEST_F(WorkerTest, StopClosesRoomsAndRefusesLaterTasks) {
  media_test::RecordingRoomEvents events;
  on_worker(*worker_, [&](Worker& w) {
    Room& room = w.create_room("a", events, RoomLimits{});
    return room.join("alice", "Alice", 1).ok();
  });
  EXPECT_EQ(worker_->transport_count(), 2u);
  auto started = std::chrono::steady_clock::now();
  worker_->stop();
  // Generous: stop is one task and a join; this only catches a hang.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_FALSE(worker_->running());
  EXPECT_EQ(worker_->room_count(), 0u);
  EXPECT_EQ(worker_->transport_count(), 0u);
  EXPECT_FALSE(worker_->post([](Worker&) {}));
  worker_->stop();  // a second stop is harmless
}

TEST(WorkerStart, FailsWithBindFailedWhenThePortIsTaken) {
  auto certificate = dtls::DtlsCertificate::generate();
  ASSERT_TRUE(certificate);
  Worker first(0, media_test::worker_test_config(), certificate);
  ASSERT_TRUE(first.start().ok());
  config::Config config = media_test::worker_test_config();
  config.rtc.udp_port = first.udp_address().port();
  Worker second(0, config, certificate);
  Status started = second.start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code, ErrorCode::bind_failed);
  EXPECT_NE(started.error().message.find("udp port " + std::to_string(first.udp_address().port())),
            std::string::npos)
      << started.error().message;
  EXPECT_FALSE(second.running());
  first.stop();
}

TEST(WorkerStart, FailsWithBindFailedWhenTheTcpPortIsTaken) {
  auto certificate = dtls::DtlsCertificate::generate();
  ASSERT_TRUE(certificate);
  Worker first(0, media_test::worker_test_config(), certificate);
  ASSERT_TRUE(first.start().ok());
  ASSERT_NE(first.tcp_port(), 0);
  config::Config config = media_test::worker_test_config();
  config.rtc.tcp_port = first.tcp_port();
  Worker second(0, config, certificate);
  Status started = second.start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code, ErrorCode::bind_failed);
  EXPECT_NE(started.error().message.find("tcp port " + std::to_string(first.tcp_port())), std::string::npos)
      << started.error().message;
  EXPECT_FALSE(second.running());
  first.stop();
}

TEST(WorkerStart, NoTcpListenerWithIceTcpOff) {
  auto certificate = dtls::DtlsCertificate::generate();
  ASSERT_TRUE(certificate);
  config::Config config = media_test::worker_test_config();
  config.rtc.tcp_port.reset();
  Worker worker(0, config, certificate);
  ASSERT_TRUE(worker.start().ok());
  EXPECT_EQ(worker.tcp_port(), 0);
  worker.stop();
}

// Start-up refuses such a configuration (Server::run); a worker never wraps to port 0 or low ports.
TEST(WorkerStart, RefusesAPortPast65535) {
  auto certificate = dtls::DtlsCertificate::generate();
  ASSERT_TRUE(certificate);
  config::Config config = media_test::worker_test_config();
  config.rtc.udp_port = 65535;
  Worker second(1, config, certificate);
  Status started = second.start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code, ErrorCode::bind_failed);
  EXPECT_EQ(started.error().message, "udp port 65536: beyond 65535");
  EXPECT_FALSE(second.running());
}

}  // namespace
}  // namespace sfu
