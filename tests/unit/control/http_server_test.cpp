// HttpServer's HTTP/1.1 side against a plain socket client over loopback: methods, headers, query,
// bodies and their limits, keep-alive, errors, and starting and stopping the listener. The
// WebSocket side is in http_server_websocket_test.cpp.
#include "sfu/control/http_server.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/unit/control/http_server_harness.h"
#include "tests/unit/control/http_test_client.h"

namespace sfu {
namespace {

using namespace http_test;

TEST(HttpServer, GetReachesHandlerWithQueryAndHeaders) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  ASSERT_NE(harness.port(), 0);
  Socket client(harness.port());
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(
      client.send_all(request_text("GET", "/echo?room=demo&x=1", {},
                                   "Authorization: Bearer abc.def.ghi\r\nContent-Type: text/plain\r\n")));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers["content-type"], "application/json");
  EXPECT_EQ(response->headers["x-echo"], "yes");
  auto echoed = nlohmann::json::parse(response->body);
  EXPECT_EQ(echoed["method"], "GET");
  EXPECT_EQ(echoed["path"], "/echo");
  EXPECT_EQ(echoed["query"], "room=demo&x=1");
  EXPECT_EQ(echoed["headers"]["authorization"], "Bearer abc.def.ghi");
  EXPECT_EQ(echoed["headers"]["content-type"], "text/plain");
  EXPECT_EQ(echoed["headers"]["host"], "127.0.0.1");
  EXPECT_EQ(echoed["body"], "");
}

TEST(HttpServer, PostBodyIsCollected) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  std::string body = nlohmann::json{{"name", "room-1"}, {"pad", std::string(20000, 'p')}}.dump();
  ASSERT_TRUE(client.send_all(request_text("POST", "/echo", body, "Content-Type: application/json\r\n")));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  auto echoed = nlohmann::json::parse(response->body);
  EXPECT_EQ(echoed["method"], "POST");
  EXPECT_EQ(echoed["body"], body);
  EXPECT_EQ(echoed["headers"]["content-type"], "application/json");
}

// curl -d '' sends exactly this; lws then reports one empty body chunk after the answer, which
// once closed the connection before the answer left (an empty reply).
TEST(HttpServer, PostWithAnEmptyBodyIsAnswered) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  ASSERT_TRUE(client.send_all("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  auto echoed = nlohmann::json::parse(response->body);
  EXPECT_EQ(echoed["method"], "POST");
  EXPECT_EQ(echoed["body"], "");
}

TEST(HttpServer, PutAndDeleteMethods) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  ASSERT_TRUE(client.send_all(request_text("DELETE", "/echo")));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(nlohmann::json::parse(response->body)["method"], "DELETE");
  ASSERT_TRUE(client.send_all(request_text("PUT", "/echo", "{}")));
  response = read_response(client);
  ASSERT_TRUE(response);
  auto echoed = nlohmann::json::parse(response->body);
  EXPECT_EQ(echoed["method"], "PUT");
  EXPECT_EQ(echoed["body"], "{}");
}

TEST(HttpServer, OversizedBodyGets413WithoutHandlerCall) {
  HttpServer::Options options = ServerHarness::test_options();
  options.max_body_bytes = 1000;
  ServerHarness harness(options);
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  // The whole body is sent: the server reads and drops it, answers 413 and keeps the connection.
  Socket client(harness.port());
  client.send_all(request_text("POST", "/echo", std::string(70000, 'b')));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->headers["content-type"], "application/json");
  auto body = nlohmann::json::parse(response->body);
  EXPECT_EQ(body["error"]["code"], "payload_too_large");
  EXPECT_TRUE(body["error"]["message"].is_string());
  EXPECT_EQ(harness.http_calls(), 0);
  ASSERT_TRUE(
      client.send_all(request_text("POST", "/echo", std::string(1000, 'c'))));  // exactly at the limit
  response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(nlohmann::json::parse(response->body)["body"], std::string(1000, 'c'));
  EXPECT_EQ(harness.http_calls(), 1);
}

TEST(HttpServer, HugeDeclaredBodyGets413AtOnceAndClose) {
  HttpServer::Options options = ServerHarness::test_options();
  options.max_body_bytes = 1000;
  ServerHarness harness(options);
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  ASSERT_TRUE(client.send_all("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->headers["connection"], "close");
  EXPECT_EQ(nlohmann::json::parse(response->body)["error"]["code"], "payload_too_large");
  EXPECT_TRUE(client.peer_closed());
  EXPECT_EQ(harness.http_calls(), 0);
}

TEST(HttpServer, ChunkedRequestBodyIsRefused) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  ASSERT_TRUE(client.send_all("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 411);
  EXPECT_EQ(nlohmann::json::parse(response->body)["error"]["code"], "length_required");
  EXPECT_TRUE(client.peer_closed());
  EXPECT_EQ(harness.http_calls(), 0);
}

TEST(HttpServer, LargeResponseArrivesIntact) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  ASSERT_TRUE(client.send_all(request_text("GET", "/big")));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers["content-type"], "application/octet-stream");
  EXPECT_EQ(response->body.size(), 200u * 1024);
  EXPECT_TRUE(response->body == big_body(200 * 1024));
}

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnection) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  ASSERT_TRUE(client.send_all(request_text("GET", "/echo?n=1")));
  auto first = read_response(client);
  ASSERT_TRUE(first);
  EXPECT_EQ(nlohmann::json::parse(first->body)["query"], "n=1");
  ASSERT_TRUE(client.send_all(request_text("GET", "/big")));
  auto second = read_response(client);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body.size(), 200u * 1024);
  ASSERT_TRUE(client.send_all(request_text("POST", "/echo", "third")));
  auto third = read_response(client);
  ASSERT_TRUE(third);
  EXPECT_EQ(nlohmann::json::parse(third->body)["body"], "third");
  ASSERT_TRUE(client.send_all(request_text("GET", "/empty")));
  auto fourth = read_response(client);
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->status, 204);
  EXPECT_TRUE(fourth->body.empty());
  ASSERT_TRUE(client.send_all(request_text("GET", "/missing")));
  auto fifth = read_response(client);
  ASSERT_TRUE(fifth);
  EXPECT_EQ(fifth->status, 404);
  EXPECT_EQ(nlohmann::json::parse(fifth->body)["error"]["code"], "not_found");
  EXPECT_EQ(harness.http_calls(), 5);
}

TEST(HttpServer, HeadAndOptions) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  ASSERT_TRUE(client.send_all(request_text("OPTIONS", "/echo")));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(nlohmann::json::parse(response->body)["method"], "OPTIONS");
  // HEAD: the headers of the GET answer, no body; the connection stays usable.
  ASSERT_TRUE(client.send_all(request_text("HEAD", "/big")));
  std::string head;
  ASSERT_TRUE(client.read_head(head));
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  EXPECT_NE(head.find("content-length: 204800"), std::string::npos) << head;
  ASSERT_TRUE(client.send_all(request_text("GET", "/echo?after=head")));
  response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(nlohmann::json::parse(response->body)["method"], "GET");
}

TEST(HttpServer, PathAndQueryArePercentDecodedByLws) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  ASSERT_TRUE(client.send_all(request_text("GET", "/ech%6F?name=a%20b&x=1")));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  auto echoed = nlohmann::json::parse(response->body);
  EXPECT_EQ(echoed["path"], "/echo");
  EXPECT_EQ(echoed["query"], "name=a b&x=1");
}

TEST(HttpServer, HandlerExceptionBecomes500) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  ASSERT_TRUE(client.send_all(request_text("GET", "/throw")));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(nlohmann::json::parse(response->body)["error"]["code"], "internal_error");
  ASSERT_TRUE(client.send_all(request_text("GET", "/echo")));  // the connection survives
  response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST(HttpServer, PlainGetOnWebSocketPathGoesToHttpHandler) {
  ServerHarness harness;
  std::string error;
  ASSERT_TRUE(harness.start(&error)) << error;
  Socket client(harness.port());
  ASSERT_TRUE(client.send_all(request_text("GET", "/v1/rtc")));
  auto response = read_response(client);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(harness.http_calls(), 1);
}

TEST(HttpServer, StartFailsClearlyWhenPortIsTaken) {
  ServerHarness first;
  std::string error;
  ASSERT_TRUE(first.start(&error)) << error;
  HttpServer::Options options = ServerHarness::test_options();
  options.port = first.port();
  ServerHarness second(options);
  EXPECT_FALSE(second.start(&error));
  EXPECT_NE(error.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())), std::string::npos)
      << error;
  EXPECT_NE(error.find("in use"), std::string::npos) << error;
}

TEST(HttpServer, StartFailsOnAddressNotLocal) {
  HttpServer::Options options = ServerHarness::test_options();
  options.host = "192.0.2.1";  // TEST-NET-1, never assigned to this machine
  options.port = 1;
  ServerHarness harness(options);
  std::string error;
  EXPECT_FALSE(harness.start(&error));
  EXPECT_NE(error.find("cannot listen"), std::string::npos) << error;
}

TEST(HttpServer, StopWithoutStartAndDoubleStopAreHarmless) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    HttpServer server(&loop, ServerHarness::test_options(), "/v1/rtc", {});
    server.stop();
  }
  {
    HttpServer server(&loop, ServerHarness::test_options(), "/v1/rtc", {});
    Status started = server.start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    server.stop();
    server.stop();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace sfu
