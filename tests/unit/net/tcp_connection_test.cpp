// TcpServer and TcpConnection on real loopback sockets, one libuv loop on the test thread: frames
// both ways in order, the bounded send queue against a peer that never reads (drops counted, the
// loop never blocks), the pending deadline and the per-address bound.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "net/tcp_server.h"
#include "tests/support/pump_loop.h"

namespace sfu::net {
namespace {

using namespace std::chrono_literals;

struct Recorder : TcpConnection::Handler {
  std::vector<std::vector<uint8_t>> frames;
  std::vector<TcpConnection*> from;
  std::vector<TcpCloseReason> closes;
  void on_frame(TcpConnection& connection, uint8_t* data, size_t size) override {
    frames.emplace_back(data, data + size);
    from.push_back(&connection);
  }
  void on_closed(TcpConnection&, TcpCloseReason reason) override { closes.push_back(reason); }
};

class TcpConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override { uv_loop_init(&loop_); }
  void TearDown() override {
    for (int i = 0; i < 50 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "handles left open";
  }
  std::unique_ptr<TcpServer> listen(TcpServer::Limits limits = {}) {
    auto server = std::make_unique<TcpServer>(&loop_, server_side_, limits, server_counters_);
    std::string error;
    EXPECT_TRUE(server->listen(*SocketAddress::from_ip("127.0.0.1", 0), &error)) << error;
    return server;
  }
  template <typename Pred>
  bool run_until(Pred done, std::chrono::milliseconds timeout = 10s) {
    return test_support::pump_loop_until(&loop_, done, timeout);
  }

  uv_loop_t loop_{};
  Recorder server_side_, client_side_;
  TcpCounters server_counters_, client_counters_;
};

std::vector<uint8_t> packet(size_t size, uint8_t seed) {
  std::vector<uint8_t> out(size);
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>(seed + i);
  return out;
}

int raw_connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 0);
  return fd;
}

TEST_F(TcpConnectionTest, FramesBothWaysInOrder) {
  auto server = listen();
  TcpConnection client(&loop_, client_side_, client_counters_);
  std::string error;
  ASSERT_TRUE(client.connect(server->local_address(), &error)) << error;
  // Queued while connecting: they go out once connected.
  for (int i = 0; i < 100; ++i) client.send(packet(1 + i * 10, static_cast<uint8_t>(i)));
  ASSERT_TRUE(run_until([&] { return server_side_.frames.size() == 100; }));
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(server_side_.frames[i], packet(1 + i * 10, static_cast<uint8_t>(i)));
  EXPECT_EQ(server_counters_.pending.load(), 1u);
  TcpConnection& accepted = *server_side_.from.front();
  server->assign(accepted, 7);
  EXPECT_EQ(server_counters_.pending.load(), 0u);
  EXPECT_EQ(accepted.owner_id(), 7u);

  // Built in place, as the transports do.
  for (int i = 0; i < 50; ++i) {
    MutableByteSpan slot = accepted.acquire_send();
    ASSERT_EQ(slot.size(), TcpFrameReader::kMaxFrameSize);
    auto bytes = packet(1200, static_cast<uint8_t>(i));
    std::memcpy(slot.data(), bytes.data(), bytes.size());
    accepted.commit_send(bytes.size());
  }
  ASSERT_TRUE(run_until([&] { return client_side_.frames.size() == 50; }));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(client_side_.frames[i], packet(1200, static_cast<uint8_t>(i)));
  EXPECT_EQ(server_counters_.tx_frames.load(), 50u);
  EXPECT_EQ(server_counters_.tx_dropped_queue_full.load(), 0u);

  client.close(TcpCloseReason::Released);
  ASSERT_TRUE(run_until([&] { return !server_side_.closes.empty(); }));
  EXPECT_EQ(server_side_.closes.front(), TcpCloseReason::PeerClosed);
  EXPECT_EQ(server->connection_count(), 0u);
  server->close();
}

// A peer that never reads: the kernel's buffers fill, then the connection's two halves, then
// every further packet is dropped and counted. Sending never blocks the loop.
TEST_F(TcpConnectionTest, SlowReaderGetsDropsNotMemory) {
  auto server = listen();
  int fd = raw_connect(server->local_address().port());
  int small = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  const uint8_t hello[] = {0, 1, 0x42};
  ASSERT_EQ(::send(fd, hello, sizeof(hello), 0), 3);
  ASSERT_TRUE(run_until([&] { return server_side_.frames.size() == 1; }));
  TcpConnection& accepted = *server_side_.from.front();

  auto bytes = packet(1200, 1);
  auto started = std::chrono::steady_clock::now();
  uint64_t sent = 0;
  while (server_counters_.tx_dropped_queue_full.load() < 1000) {
    for (int i = 0; i < 100; ++i, ++sent) accepted.send(bytes);
    uv_run(&loop_, UV_RUN_NOWAIT);
    ASSERT_LT(std::chrono::steady_clock::now() - started, 20s) << "never dropped";
  }
  EXPECT_TRUE(accepted.is_open());
  EXPECT_LT(server_counters_.tx_frames.load(), sent);
  EXPECT_EQ(server_counters_.tx_frames.load() + server_counters_.tx_dropped_queue_full.load(), sent);
  ::close(fd);
  ASSERT_TRUE(run_until([&] { return !server_side_.closes.empty(); }));
  server->close();
}

TEST_F(TcpConnectionTest, PendingDeadlineAndPerAddressBound) {
  TcpServer::Limits limits;
  limits.max_pending = 10;
  limits.max_pending_per_address = 1;
  limits.pending_timeout_ms = 300;
  auto server = listen(limits);
  int first = raw_connect(server->local_address().port());
  ASSERT_TRUE(run_until([&] { return server_counters_.pending.load() == 1; }));
  int second = raw_connect(server->local_address().port());
  ASSERT_TRUE(run_until([&] {
    return server_counters_.closed[static_cast<size_t>(TcpCloseReason::PendingPerAddress)].load() == 1;
  }));
  ASSERT_TRUE(run_until([&] { return server_counters_.open.load() == 0; }));
  // Only the first reached the handler: a connection refused at accept was never handed out.
  ASSERT_EQ(server_side_.closes.size(), 1u);
  EXPECT_EQ(server_side_.closes.front(), TcpCloseReason::CheckTimeout);
  EXPECT_EQ(server_counters_.pending.load(), 0u);
  EXPECT_EQ(server_counters_.open.load(), 0u);
  ::close(first);
  ::close(second);
  server->close();
}

TEST_F(TcpConnectionTest, OversizedHeaderClosesAtOnce) {
  auto server = listen();
  int fd = raw_connect(server->local_address().port());
  const uint8_t header[] = {0xff, 0xff};
  ASSERT_EQ(::send(fd, header, sizeof(header), 0), 2);
  ASSERT_TRUE(run_until([&] { return server_side_.closes.size() == 1; }));
  EXPECT_EQ(server_side_.closes.front(), TcpCloseReason::FrameTooLarge);
  ::close(fd);
  server->close();
}

}  // namespace
}  // namespace sfu::net
