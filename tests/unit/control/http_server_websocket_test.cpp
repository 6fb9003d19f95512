// HttpServer's WebSocket side against a minimal RFC 6455 client over loopback: messages and
// fragments, size limits, closing from either side, send-queue overflow, and stopping or
// destroying the server while sessions are open (also from inside a handler).
#include <gtest/gtest.h>

#include <string>

#include "sfu/control/http_server.h"
#include "tests/unit/control/http_server_harness.h"
#include "tests/unit/control/http_test_client.h"

namespace sfu {
namespace {

using namespace http_test;

TEST(HttpServerWebSocket, ExchangesTextMessages) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  ASSERT_TRUE(client.handshake());
  ASSERT_TRUE(harness.log().wait_for("open:1"));
  EXPECT_EQ(harness.log().count("remote:127.0.0.1"), 1u);
  ASSERT_TRUE(client.send_text("hello"));
  auto reply = client.read_message();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->opcode, 0x1);
  EXPECT_EQ(reply->payload, "echo:hello");
  ASSERT_TRUE(client.send_text(""));
  reply = client.read_message();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->payload, "echo:");
  ASSERT_TRUE(client.send_text("big"));
  reply = client.read_message();
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->payload == big_body(100 * 1024));
  EXPECT_EQ(harness.server().session_count(), 1u);
}

TEST(HttpServerWebSocket, ReassemblesFragments) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  ASSERT_TRUE(client.handshake());
  ASSERT_TRUE(client.send_frame(0x1, "frag", false));
  ASSERT_TRUE(client.send_frame(0x9, "ping in between"));  // control frames may interleave
  ASSERT_TRUE(client.send_frame(0x0, "men", false));
  ASSERT_TRUE(client.send_frame(0x0, "ted", true));
  auto pong = client.read_frame();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->opcode, 0xA);
  EXPECT_EQ(pong->payload, "ping in between");
  auto reply = client.read_message();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->payload, "echo:fragmented");
  // A message of 60 000 bytes (under the limit) split by lws's receive buffer arrives whole.
  ASSERT_TRUE(client.send_text(std::string(60000, 'z')));
  ASSERT_TRUE(harness.log().wait_for("message:1:60000"));
  reply = client.read_message();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->payload.size(), 5u + 60000u);
}

TEST(HttpServerWebSocket, OversizedMessageReportsErrorAndSessionStaysUsable) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  ASSERT_TRUE(client.handshake());
  ASSERT_TRUE(client.send_text(std::string(70 * 1024, 'x')));
  ASSERT_TRUE(harness.log().wait_for("error:1:message larger than 65536 bytes"));
  // Also when the excess comes in a later fragment.
  ASSERT_TRUE(client.send_frame(0x1, std::string(40000, 'a'), false));
  ASSERT_TRUE(client.send_frame(0x0, std::string(40000, 'b'), true));
  ASSERT_TRUE(harness.log().wait_for("error:1:message larger than 65536 bytes", 2));
  ASSERT_TRUE(client.send_text("still here"));
  auto reply = client.read_message();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->payload, "echo:still here");
  for (const auto& event : harness.log().events()) EXPECT_NE(event, "message:1:71680");
  EXPECT_EQ(harness.log().count("close:1"), 0u);
}

TEST(HttpServerWebSocket, BinaryMessageReportsErrorAndIsDiscarded) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  ASSERT_TRUE(client.handshake());
  ASSERT_TRUE(client.send_frame(0x2, std::string("\x01\x02\x03", 3)));
  ASSERT_TRUE(harness.log().wait_for("error:1:binary messages are not supported"));
  ASSERT_TRUE(client.send_text("after"));
  auto reply = client.read_message();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->payload, "echo:after");
  EXPECT_EQ(harness.log().count("message:1:3"), 0u);
}

TEST(HttpServerWebSocket, ClientCloseCallsOnCloseOnce) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  {
    WsClient client(harness.port());
    ASSERT_TRUE(client.handshake());
    ASSERT_TRUE(harness.log().wait_for("open:1"));
    ASSERT_TRUE(client.send_close(1000));
    auto echo = client.read_frame();  // the server answers the close
    ASSERT_TRUE(echo);
    EXPECT_EQ(echo->opcode, 0x8);
    ASSERT_TRUE(harness.log().wait_for("close:1"));
  }
  {
    WsClient client(harness.port());  // dropped without a close frame
    ASSERT_TRUE(client.handshake());
    ASSERT_TRUE(harness.log().wait_for("open:2"));
  }
  ASSERT_TRUE(harness.log().wait_for("close:2"));
  harness.run_on_loop([&] {
    EXPECT_EQ(harness.server().find_session(1), nullptr);
    EXPECT_EQ(harness.server().session_count(), 0u);
  });
  harness.shutdown();
  EXPECT_EQ(harness.log().count("close:1"), 1u);
  EXPECT_EQ(harness.log().count("close:2"), 1u);
}

TEST(HttpServerWebSocket, ServerCloseReachesClient) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  ASSERT_TRUE(client.handshake());
  ASSERT_TRUE(client.send_text("close-me"));
  auto frame = client.read_frame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, 0x8);
  EXPECT_EQ(close_code(*frame), 4001);
  EXPECT_EQ(frame->payload.substr(2), "bye");
  ASSERT_TRUE(client.send_close(4001));
  ASSERT_TRUE(harness.log().wait_for("close:1"));
  EXPECT_TRUE(client.socket().peer_closed());
  harness.shutdown();
  EXPECT_EQ(harness.log().count("close:1"), 1u);
}

TEST(HttpServerWebSocket, ServerCloseEndsEvenIfThePeerNeverAnswers) {
  HttpServer::Options options = ServerHarness::test_options();
  options.ws_close_grace_seconds = 1;
  ServerHarness harness(options);
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  ASSERT_TRUE(client.handshake());
  ASSERT_TRUE(client.send_text("close-me"));
  auto frame = client.read_frame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, 0x8);
  // No close frame back: the server drops the connection after its grace period.
  ASSERT_TRUE(harness.log().wait_for("close:1"));
  EXPECT_TRUE(client.socket().peer_closed());
}

TEST(HttpServerWebSocket, QueuedMessagesGoOutBeforeTheCloseFrame) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  ASSERT_TRUE(client.handshake());
  ASSERT_TRUE(client.send_text("burst-then-close"));
  for (int i = 0; i < 3; ++i) {
    auto message = client.read_message();
    ASSERT_TRUE(message);
    EXPECT_EQ(message->payload, "burst " + std::to_string(i));
  }
  auto frame = client.read_frame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, 0x8);
  EXPECT_EQ(close_code(*frame), 1000);
  EXPECT_EQ(frame->payload.substr(2), "done");
  ASSERT_TRUE(client.send_close(1000));
  ASSERT_TRUE(harness.log().wait_for("close:1"));
}

TEST(HttpServerWebSocket, SendQueueOverflowClosesTheSession) {
  HttpServer::Options options = ServerHarness::test_options();
  options.max_ws_queue_bytes = 1000;
  ServerHarness harness(options);
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  ASSERT_TRUE(client.handshake());
  ASSERT_TRUE(client.send_text("overflow"));
  auto frame = client.read_frame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, 0x8);  // the queue was dropped, only the close frame comes
  EXPECT_EQ(close_code(*frame), 1008);
  client.send_close(1008);
  ASSERT_TRUE(harness.log().wait_for("close:1"));
}

TEST(HttpServerWebSocket, UpgradeOnOtherPathIsRefused) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient client(harness.port());
  EXPECT_FALSE(client.handshake("/elsewhere"));
  EXPECT_EQ(harness.log().count("open:1"), 0u);
  EXPECT_EQ(harness.http_calls(), 0);
}

TEST(HttpServerWebSocket, StopClosesOpenSessions) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient a(harness.port());
  WsClient b(harness.port());
  ASSERT_TRUE(a.handshake());
  ASSERT_TRUE(b.handshake());
  ASSERT_TRUE(harness.log().wait_for("open:2"));
  Socket idle_http(harness.port());  // an idle keep-alive connection is closed too
  ASSERT_TRUE(idle_http.send_all(request_text("GET", "/echo")));
  ASSERT_TRUE(read_response(idle_http));
  harness.shutdown();
  EXPECT_EQ(harness.log().count("close:1"), 1u);
  EXPECT_EQ(harness.log().count("close:2"), 1u);
  EXPECT_TRUE(a.socket().peer_closed());
  EXPECT_TRUE(b.socket().peer_closed());
  EXPECT_TRUE(idle_http.peer_closed());
}

TEST(HttpServerWebSocket, StopFromInsideAHandler) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient a(harness.port());
  WsClient b(harness.port());
  ASSERT_TRUE(a.handshake());
  ASSERT_TRUE(b.handshake());
  ASSERT_TRUE(harness.log().wait_for("open:2"));
  ASSERT_TRUE(a.send_text("stop-server"));
  ASSERT_TRUE(harness.log().wait_for("stopped"));
  EXPECT_EQ(harness.log().count("close:1"), 1u);
  EXPECT_EQ(harness.log().count("close:2"), 1u);
  EXPECT_TRUE(a.socket().peer_closed());
  EXPECT_TRUE(b.socket().peer_closed());
  harness.shutdown();
  EXPECT_EQ(harness.log().count("close:1"), 1u);
}

TEST(HttpServerWebSocket, DestroyingTheServerCallsNoHandlers) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient a(harness.port());
  ASSERT_TRUE(a.handshake());
  ASSERT_TRUE(harness.log().wait_for("open:1"));
  harness.destroy_server();
  EXPECT_TRUE(a.socket().peer_closed());
  harness.shutdown();
  EXPECT_EQ(harness.log().count("close:1"), 0u);
}

TEST(HttpServerWebSocket, DestroyFromInsideAHandler) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient a(harness.port());
  ASSERT_TRUE(a.handshake());
  ASSERT_TRUE(a.send_text("destroy-server"));
  ASSERT_TRUE(harness.log().wait_for("destroyed"));
  EXPECT_TRUE(a.socket().peer_closed());
  harness.shutdown();
  EXPECT_EQ(harness.log().count("close:1"), 0u);
}

TEST(HttpServerWebSocket, SessionsCanBeReachedById) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  WsClient a(harness.port());
  WsClient b(harness.port());
  ASSERT_TRUE(a.handshake());
  ASSERT_TRUE(harness.log().wait_for("open:1"));
  ASSERT_TRUE(b.handshake());
  ASSERT_TRUE(harness.log().wait_for("open:2"));
  harness.run_on_loop([&] {
    WebSocketSession* target = harness.server().find_session(2);
    ASSERT_NE(target, nullptr);
    EXPECT_TRUE(target->send_text("for b"));
    EXPECT_EQ(harness.server().find_session(99), nullptr);
  });
  auto message = b.read_message();
  ASSERT_TRUE(message);
  EXPECT_EQ(message->payload, "for b");
}

}  // namespace
}  // namespace sfu
