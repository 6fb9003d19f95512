// HttpServer's deferred answers: a handler returns deferred_response() and the owner completes the
// exchange later on the loop (HttpServer::complete), while other requests are served meanwhile;
// an exchange whose client left, or that was completed already, takes no answer.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "sfu/control/http_server.h"
#include "tests/unit/control/http_server_harness.h"
#include "tests/unit/control/http_test_client.h"

namespace sfu {
namespace {

using namespace http_test;

// The exchange id the harness logged for the n-th deferred request ("later:<id>"); 0 if none came.
uint64_t deferred_exchange(ServerHarness& harness, size_t n = 1) {
  auto deadline = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < deadline) {
    size_t seen = 0;
    for (const auto& event : harness.log().events())
      if (event.rfind("later:", 0) == 0 && ++seen == n) return std::stoull(event.substr(6));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return 0;
}

bool complete(ServerHarness& harness, uint64_t exchange, int status, std::string body) {
  bool completed = false;
  harness.run_on_loop([&] {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    completed = harness.server().complete(exchange, std::move(response));
  });
  return completed;
}

bool has_bytes(Socket& socket) {
  char c;
  return recv(socket.fd(), &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

TEST(HttpServerDeferred, AnswerIsSentWhenCompletedWhileOtherRequestsAreServed) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket waiting(harness.port());
  ASSERT_TRUE(waiting.send_all(request_text("GET", "/later")));
  uint64_t exchange = deferred_exchange(harness);
  ASSERT_NE(exchange, 0u);

  Socket other(harness.port());
  ASSERT_TRUE(other.send_all(request_text("GET", "/echo")));
  auto served = read_response(other);
  ASSERT_TRUE(served);
  EXPECT_EQ(served->status, 200);
  EXPECT_FALSE(has_bytes(waiting)) << "a deferred exchange was answered before complete()";

  ASSERT_TRUE(complete(harness, exchange, 202, R"({"done":true})"));
  auto answer = read_response(waiting);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 202);
  EXPECT_EQ(answer->body, R"({"done":true})");
  EXPECT_FALSE(complete(harness, exchange, 200, "again")) << "an exchange was completed twice";

  // The connection goes on with the next request (keep-alive).
  ASSERT_TRUE(waiting.send_all(request_text("GET", "/echo?n=2")));
  auto next = read_response(waiting);
  ASSERT_TRUE(next);
  EXPECT_EQ(nlohmann::json::parse(next->body)["query"], "n=2");
}

TEST(HttpServerDeferred, UnknownAndAbandonedExchangesTakeNoAnswer) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  EXPECT_FALSE(complete(harness, 12345, 200, "nobody asked"));
  {
    Socket leaving(harness.port());
    ASSERT_TRUE(leaving.send_all(request_text("GET", "/later")));
    ASSERT_NE(deferred_exchange(harness), 0u);
  }
  uint64_t abandoned = deferred_exchange(harness);
  // Before the server has seen the client go, complete() may still queue an answer for the closing
  // connection; after that, or after one complete(), the exchange is over. Nothing breaks either way.
  complete(harness, abandoned, 200, "too late");
  EXPECT_FALSE(complete(harness, abandoned, 200, "too late"));

  // A deferred exchange still open when the server stops is dropped with its connection.
  Socket pending(harness.port());
  ASSERT_TRUE(pending.send_all(request_text("GET", "/later")));
  ASSERT_NE(deferred_exchange(harness, 2), 0u);
  Socket healthy(harness.port());
  ASSERT_TRUE(healthy.send_all(request_text("GET", "/echo")));
  auto served = read_response(healthy);
  ASSERT_TRUE(served);
  EXPECT_EQ(served->status, 200);
  harness.shutdown();
  EXPECT_TRUE(pending.peer_closed());
}

}  // namespace
}  // namespace sfu
