// RedisConnection (sfu/cluster/redis_connection.h) against a loopback TCP listener that plays a Redis
// server which misbehaves on cue: resets the connection, or reads commands and never answers. Real
// sockets and hiredis on a libuv loop on the test thread. A connection that goes away must fail the
// commands waiting on it and be made again; none may wait for ever (the cluster test's node whose
// Redis connection was reset queued its directory lookups unanswered and never took a join).
#include "sfu/cluster/redis_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/pump_loop.h"

namespace sfu::cluster {
namespace {

using namespace std::chrono_literals;

// A listening loopback socket standing in for Redis; the test drives its side by hand.
class FakeRedis {
 public:
  FakeRedis() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), length), 0);
    EXPECT_EQ(listen(listen_fd_, 8), 0);
    EXPECT_EQ(getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port_ = ntohs(address.sin_port);
  }
  ~FakeRedis() {
    for (int fd : clients_) close(fd);
    close(listen_fd_);
  }
  FakeRedis(const FakeRedis&) = delete;
  FakeRedis& operator=(const FakeRedis&) = delete;

  uint16_t port() const { return port_; }
  size_t accepted() const { return clients_.size(); }
  int latest() const { return clients_.back(); }

  // Accepts a waiting connection, if any; true when one was.
  bool accept_one() {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK);
    if (fd < 0) return false;
    clients_.push_back(fd);
    return true;
  }
  // Appends what the client sent on `fd` so far to `received`.
  void read(int fd, std::string& received) const {
    char buffer[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buffer, sizeof(buffer))) > 0) received.append(buffer, static_cast<size_t>(n));
  }
  void write(int fd, const std::string& bytes) const {
    ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  // Closes `fd` with an RST rather than a FIN (a server killed with data in flight does this).
  void reset(int fd) {
    linger abort{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
    close(fd);
    for (int& client : clients_)
      if (client == fd) client = -1;
  }

 private:
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::vector<int> clients_;
};

// A reply as the test sees it: nullopt = the callback ran with no reply (the connection dropped).
using Outcome = std::optional<std::string>;

class RedisConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override { uv_loop_init(&loop_); }
  void TearDown() override {
    connection_.reset();
    for (int i = 0; i < 50 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "handles left open";
  }

  void connect(uint16_t port, uint64_t timeout_ms) {
    RedisConnection::Handlers handlers{[this] { ++ups_; }, [this] { ++downs_; }, {}};
    connection_ = std::make_unique<RedisConnection>(&loop_, "127.0.0.1", port, "test", timeout_ms, handlers);
    connection_->start();
  }
  // Connects to `server` and waits until the connection is up and the server holds its end.
  void connect_to(FakeRedis& server, uint64_t timeout_ms) {
    connect(server.port(), timeout_ms);
    ASSERT_TRUE(run_until([&] { return server.accept_one(); }));
    ASSERT_TRUE(run_until([&] { return connection_->up(); }));
  }
  // Sends PING; the outcome lands in `outcome` once its callback ran.
  bool ping(std::vector<Outcome>& outcomes) {
    return connection_->command({"PING"}, [&outcomes](const redisReply* reply) {
      outcomes.push_back(reply ? Outcome(std::string(reply->str, reply->len)) : std::nullopt);
    });
  }
  // PING answered +PONG by the server's latest connection; true once the reply came back.
  bool answered_ping(FakeRedis& server, std::vector<Outcome>& outcomes) {
    const size_t before = outcomes.size();
    if (!ping(outcomes) || !wait_for_ping(server, server.latest())) return false;
    server.write(server.latest(), "+PONG\r\n");
    return run_until([&] { return outcomes.size() == before + 1; });
  }
  // Runs the loop until the server read a whole PING from `fd`.
  bool wait_for_ping(FakeRedis& server, int fd) {
    std::string received;
    return run_until([&] {
      server.read(fd, received);
      return received.find("PING\r\n") != std::string::npos;
    });
  }
  template <typename Pred>
  bool run_until(Pred done, std::chrono::milliseconds timeout = 5s) {
    return test_support::pump_loop_until(&loop_, done, timeout);
  }

  uv_loop_t loop_{};
  std::unique_ptr<RedisConnection> connection_;
  int ups_ = 0;
  int downs_ = 0;
};

TEST_F(RedisConnectionTest, ResetByTheServerFailsTheWaitingCommandAndConnectsAgain) {
  FakeRedis server;
  connect_to(server, /*timeout_ms=*/60000);  // long: only the reset itself can end the wait below
  if (HasFatalFailure()) return;
  std::vector<Outcome> outcomes;
  ASSERT_TRUE(ping(outcomes));
  ASSERT_TRUE(wait_for_ping(server, server.latest()));
  server.reset(server.latest());

  ASSERT_TRUE(run_until([&] { return !outcomes.empty(); })) << "the reset went unnoticed";
  EXPECT_EQ(outcomes, std::vector<Outcome>{std::nullopt});
  EXPECT_FALSE(connection_->up());
  EXPECT_EQ(downs_, 1);

  // Made again after the backoff, and it answers.
  ASSERT_TRUE(run_until([&] { return server.accept_one(); }));
  ASSERT_TRUE(run_until([&] { return connection_->up(); }));
  EXPECT_EQ(ups_, 2);
  ASSERT_TRUE(answered_ping(server, outcomes));
  EXPECT_EQ(outcomes[1], Outcome("PONG"));
}

TEST_F(RedisConnectionTest, UnansweredCommandsFailAfterTheTimeoutAndTheConnectionIsMadeAgain) {
  FakeRedis server;
  connect_to(server, /*timeout_ms=*/200);
  if (HasFatalFailure()) return;
  std::vector<Outcome> outcomes;
  // Answered: the connection stays.
  ASSERT_TRUE(answered_ping(server, outcomes));
  EXPECT_EQ(outcomes[0], Outcome("PONG"));

  // Two commands the server reads and never answers: both fail, and a command sent from the failed
  // one's callback finds the connection down (false, its callback never runs).
  bool sent_from_callback = true;
  ASSERT_TRUE(connection_->command({"PING"}, [&](const redisReply* reply) {
    outcomes.push_back(reply ? Outcome("answered") : std::nullopt);
    sent_from_callback =
        connection_->command({"PING"}, [&](const redisReply*) { outcomes.push_back("late"); });
  }));
  ASSERT_TRUE(ping(outcomes));
  ASSERT_TRUE(run_until([&] { return outcomes.size() == 3; })) << "unanswered commands wait for ever";
  EXPECT_EQ(outcomes[1], std::nullopt);
  EXPECT_EQ(outcomes[2], std::nullopt);
  EXPECT_FALSE(sent_from_callback);
  EXPECT_EQ(downs_, 1);
  EXPECT_EQ(connection_->reconnects(), 1u);

  ASSERT_TRUE(run_until([&] { return server.accept_one(); }));
  ASSERT_TRUE(run_until([&] { return connection_->up(); }));
  EXPECT_EQ(ups_, 2);
  EXPECT_EQ(outcomes.size(), 3u);
}

// libuv runs timers before it polls: a loop held up past the timeout (a slow turn) must still read
// the reply that arrived meanwhile rather than drop the connection over it.
TEST_F(RedisConnectionTest, ALoopHeldUpPastTheTimeoutStillTakesTheReplyWaitingInTheSocket) {
  FakeRedis server;
  connect_to(server, /*timeout_ms=*/200);
  if (HasFatalFailure()) return;
  std::vector<Outcome> outcomes;
  ASSERT_TRUE(ping(outcomes));
  ASSERT_TRUE(wait_for_ping(server, server.latest()));
  server.write(server.latest(), "+PONG\r\n");
  std::this_thread::sleep_for(400ms);  // the loop does not run: as if one turn took this long
  ASSERT_TRUE(run_until([&] { return !outcomes.empty(); }));
  EXPECT_EQ(outcomes[0], Outcome("PONG"));
  EXPECT_EQ(downs_, 0);
  EXPECT_TRUE(connection_->up());
}

TEST_F(RedisConnectionTest, RefusedConnectIsReportedAtOnceAndRetried) {
  uint16_t closed_port = 0;
  {
    FakeRedis gone;  // a port nothing listens on once this closes
    closed_port = gone.port();
  }
  connect(closed_port, /*timeout_ms=*/60000);  // long: only the refusal can report it
  ASSERT_TRUE(run_until([&] { return downs_ >= 2; })) << "a refused connect went unnoticed";
  EXPECT_EQ(ups_, 0);
  EXPECT_FALSE(connection_->up());
  std::vector<Outcome> outcomes;
  EXPECT_FALSE(ping(outcomes));  // refused while down
}

}  // namespace
}  // namespace sfu::cluster
