// HttpServer's protections against clients that hold resources: connection caps (in total and per
// source address), a deadline for each HTTP request (head and body), the WebSocket idle policy
// (ping a silent socket, close one from which nothing arrives) and refused upgrades.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sfu/control/http_server.h"
#include "tests/unit/control/http_server_harness.h"
#include "tests/unit/control/http_test_client.h"

namespace sfu {
namespace {

using namespace http_test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A keep-alive GET that gets its answer: the connection is open and counted.
bool served(Socket& socket) {
  if (!socket.send_all(request_text("GET", "/echo"))) return false;
  auto response = read_response(socket);
  return response && response->status == 200;
}

// Sends `data` one byte every `gap` until the server closes the connection or `limit` passes;
// returns how long the server took, or `limit` when it never closed.
Clock::duration trickle_until_closed(Socket& socket, const std::string& data, Clock::duration gap,
                                     Clock::duration limit) {
  auto start = Clock::now();
  timeval short_wait{0, 50 * 1000};
  setsockopt(socket.fd(), SOL_SOCKET, SO_RCVTIMEO, &short_wait, sizeof(short_wait));
  for (size_t i = 0; Clock::now() - start < limit; ++i) {
    if (!socket.send_all(std::string_view(data).substr(i % data.size(), 1))) return Clock::now() - start;
    auto until = Clock::now() + gap;
    while (Clock::now() < until) {
      char c;
      ssize_t got = recv(socket.fd(), &c, 1, 0);
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return Clock::now() - start;
      if (got > 0) socket.buffer().push_back(c);  // e.g. a 408 would be fine too
    }
  }
  return limit;
}

TEST(HttpServerLimits, ConnectionsBeyondTheTotalCapAreRefused) {
  auto options = ServerHarness::test_options();
  options.max_connections = 3;
  ServerHarness harness(options);
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  std::vector<std::unique_ptr<Socket>> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(std::make_unique<Socket>(harness.port()));
    ASSERT_TRUE(served(*open.back())) << "connection " << i;
  }
  Socket extra(harness.port());
  ASSERT_TRUE(extra.ok());  // the kernel accepts; the server then hangs up at once
  EXPECT_TRUE(extra.peer_closed());
  EXPECT_EQ(harness.counters().refused_connections, 1u);
  // A closed connection frees its place.
  open.pop_back();
  bool reused = false;
  for (auto deadline = Clock::now() + kWait; !reused && Clock::now() < deadline;) {
    Socket again(harness.port());
    reused = served(again);
    if (!reused) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(reused);
}

TEST(HttpServerLimits, ConnectionsBeyondThePerAddressCapAreRefused) {
  auto options = ServerHarness::test_options();
  options.max_connections = 100;
  options.max_connections_per_address = 2;
  ServerHarness harness(options);
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket first(harness.port());
  ASSERT_TRUE(served(first));
  WsClient second(harness.port());  // WebSockets count too
  ASSERT_TRUE(second.handshake());
  Socket third(harness.port());
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third.peer_closed());
  // Another source address has its own allowance.
  Socket other(harness.port(), "127.0.0.2");
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(served(other));
  auto counters = harness.counters();
  EXPECT_EQ(counters.refused_connections_per_address, 1u);
  EXPECT_EQ(counters.refused_connections, 0u);
}

TEST(HttpServerLimits, SlowRequestHeadIsCutOff) {
  auto options = ServerHarness::test_options();
  options.request_timeout_ms = 1000;
  ServerHarness harness(options);
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket slow(harness.port());
  ASSERT_TRUE(slow.send_all("GET /echo HTTP/1.1\r\n"));
  auto took = trickle_until_closed(slow, "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 200ms, 8s);
  EXPECT_LT(took, 5s) << "a client sending one byte every 200 ms kept its request open";
  EXPECT_EQ(harness.http_calls(), 0);
  EXPECT_EQ(harness.counters().request_timeouts, 1u);
}

TEST(HttpServerLimits, SlowUpgradeIsCutOff) {
  auto options = ServerHarness::test_options();
  options.request_timeout_ms = 1000;
  ServerHarness harness(options);
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket slow(harness.port());
  std::string upgrade =
      "GET /v1/rtc HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  auto took = trickle_until_closed(slow, upgrade, 200ms, 8s);
  EXPECT_LT(took, 5s);
  EXPECT_EQ(harness.log().count("open:1"), 0u);
}

TEST(HttpServerLimits, SlowRequestBodyIsCutOff) {
  auto options = ServerHarness::test_options();
  options.request_timeout_ms = 1000;
  ServerHarness harness(options);
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket slow(harness.port());
  ASSERT_TRUE(slow.send_all("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n"));
  auto took = trickle_until_closed(slow, "b", 200ms, 8s);
  EXPECT_LT(took, 5s) << "a body arriving one byte every 200 ms kept the request open";
  EXPECT_EQ(harness.http_calls(), 0);
  EXPECT_EQ(harness.counters().request_timeouts, 1u);
}

TEST(HttpServerLimits, IdleKeepAliveConnectionIsClosed) {
  auto options = ServerHarness::test_options();
  options.request_timeout_ms = 1000;
  ServerHarness harness(options);
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket socket(harness.port());
  ASSERT_TRUE(served(socket));
  ASSERT_TRUE(served(socket));  // a prompt second request on the same connection is fine
  auto start = Clock::now();
  EXPECT_TRUE(socket.peer_closed());
  EXPECT_LT(Clock::now() - start, 5s);
}

TEST(HttpServerLimits, SilentWebSocketIsPingedThenClosed) {
  auto options = ServerHarness::test_options();
  options.ws_ping_interval_ms = 300;
  options.ws_idle_timeout_ms = 1000;
  ServerHarness harness(options);
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  ASSERT_TRUE(client.handshake());
  ASSERT_TRUE(harness.log().wait_for("open:1"));
  auto start = Clock::now();
  auto ping = client.read_frame();
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->opcode, 0x9);
  // Not answered: the next frame is the close.
  auto frame = client.read_frame();
  while (frame && frame->opcode == 0x9) frame = client.read_frame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, 0x8);
  EXPECT_EQ(close_code(*frame), 1001);
  EXPECT_EQ(frame->payload.substr(2), "idle timeout");
  EXPECT_LT(Clock::now() - start, 5s);
  ASSERT_TRUE(harness.log().wait_for("close:1"));
  EXPECT_EQ(harness.counters().websocket_idle_closes, 1u);
}

TEST(HttpServerLimits, WebSocketAnsweringPingsStaysOpen) {
  auto options = ServerHarness::test_options();
  options.ws_ping_interval_ms = 300;
  options.ws_idle_timeout_ms = 1500;  // generous: a loaded machine may answer late
  options.request_timeout_ms = 500;   // an HTTP deadline must not apply to an upgraded connection
  ServerHarness harness(options);
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  ASSERT_TRUE(client.handshake());
  int pings = 0;
  for (auto until = Clock::now() + 3s; Clock::now() < until;) {
    auto frame = client.read_frame();
    ASSERT_TRUE(frame);
    ASSERT_EQ(frame->opcode, 0x9) << "expected only pings, got opcode " << frame->opcode;
    ++pings;
    ASSERT_TRUE(client.send_frame(0xA, frame->payload));
  }
  EXPECT_GE(pings, 3);
  ASSERT_TRUE(client.send_text("still here"));
  auto reply = client.read_message();
  while (reply && reply->opcode == 0x9) reply = client.read_message();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->payload, "echo:still here");
  EXPECT_EQ(harness.counters().websocket_idle_closes, 0u);
}

TEST(HttpServerLimits, WebSocketSendingMessagesNeedsNoPongs) {
  auto options = ServerHarness::test_options();
  options.ws_ping_interval_ms = 300;
  options.ws_idle_timeout_ms = 1500;
  ServerHarness harness(options);
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  ASSERT_TRUE(client.handshake());
  for (int i = 0; i < 15; ++i) {  // 3 s, twice the idle timeout, never answering a ping
    ASSERT_TRUE(client.send_text("tick"));
    auto reply = client.read_message();
    while (reply && reply->opcode == 0x9) reply = client.read_message();  // a late tick may draw one
    ASSERT_TRUE(reply);
    ASSERT_EQ(reply->payload, "echo:tick");
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(harness.counters().websocket_idle_closes, 0u);
}

TEST(HttpServerLimits, RefusedUpgradeGetsTheOwnersAnswer) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient refused(harness.port());
  ASSERT_FALSE(
      refused.send_upgrade("/v1/rtc", "Host: 127.0.0.1\r\nOrigin: http://refused.example\r\n").empty());
  auto response = read_response(refused.socket());
  ASSERT_TRUE(response) << "got: " << refused.socket().buffer();
  EXPECT_EQ(response->status, 403);
  EXPECT_NE(response->body.find("origin refused"), std::string::npos) << response->body;
  EXPECT_TRUE(refused.socket().peer_closed()) << "after the answer: " << refused.socket().buffer();
  EXPECT_EQ(harness.log().count("refused:http://refused.example"), 1u);
  // Other origins are accepted.
  WsClient accepted(harness.port());
  ASSERT_TRUE(accepted.handshake("/v1/rtc", "Host: 127.0.0.1\r\nOrigin: http://fine.example\r\n"));
  ASSERT_TRUE(harness.log().wait_for("open:1"));
  size_t sessions = 0;
  harness.run_on_loop([&] { sessions = harness.server().session_count(); });
  EXPECT_EQ(sessions, 1u);
}

}  // namespace
}  // namespace sfu
