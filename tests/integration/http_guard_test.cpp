// The control port's guards in the whole server, over raw HTTP from loopback (docs/protocol.md
// 2.1, 5, 6, 10): the Origin check of the signaling WebSocket, the Host (and Origin) check of REST,
// connection caps, the WebSocket idle policy, and /metrics behind the admin token.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sfu/control/jwt.h"
#include "tests/integration/test_server.h"
#include "tests/unit/control/http_test_client.h"

using namespace sfu;
using namespace sfu::http_test;
using namespace std::chrono_literals;
using test::TestServer;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kSecret = "http-guard-test-secret-of-32-byte";

class HttpGuard : public ::testing::Test {
 protected:
  // Starts the server after `configure` has adjusted its configuration.
  void start(const std::function<void(config::Config&)>& configure = {}) {
    if (configure) configure(server_.config());
    std::string error;
    ASSERT_TRUE(server_.start(&error)) << error;
    port_ = server_.http_port();
  }
  std::string own_host() const { return "127.0.0.1:" + std::to_string(port_); }

  // One request with exactly these header lines (each ending in \r\n); the answer, or nullopt
  // when the server closed the connection without one.
  std::optional<Response> request(const std::string& method, const std::string& path,
                                  const std::string& headers, const std::string& body = {}) {
    Socket socket(port_);
    std::string text = method + " " + path + " HTTP/1.1\r\n" + headers;
    if (!body.empty() || method == "POST") text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    text += "Connection: close\r\n\r\n" + body;
    if (!socket.send_all(text)) return std::nullopt;
    return read_response(socket);
  }
  std::optional<Response> get(const std::string& path, const std::string& host,
                              const std::string& extra = {}) {
    return request("GET", path, "Host: " + host + "\r\n" + extra);
  }
  // The status of a WebSocket upgrade with these header lines: 101 when accepted.
  int upgrade_status(const std::string& headers) {
    WsClient client(port_);
    if (client.send_upgrade("/v1/rtc", headers).empty()) return 0;
    auto response = read_response(client.socket());
    return response ? response->status : 0;
  }
  int upgrade_status_with_origin(const std::string& origin) {
    return upgrade_status("Host: " + own_host() + "\r\nOrigin: " + origin + "\r\n");
  }
  // The value of one sample of /metrics ("" when absent).
  std::string metric(const std::string& sample, const std::string& token = {}) {
    auto response =
        get("/metrics", own_host(), token.empty() ? "" : "Authorization: Bearer " + token + "\r\n");
    if (!response || response->status != 200) return "";
    size_t at = response->body.find("\n" + sample + " ");
    if (at == std::string::npos) return "";
    size_t start = at + sample.size() + 2;
    return response->body.substr(start, response->body.find('\n', start) - start);
  }

  TestServer server_;
  uint16_t port_ = 0;
};

TEST_F(HttpGuard, WebSocketFromAnotherSiteIsRefusedWithReason) {
  start();
  WsClient client(port_);
  ASSERT_FALSE(
      client.send_upgrade("/v1/rtc", "Host: " + own_host() + "\r\nOrigin: http://evil.example\r\n").empty());
  auto response = read_response(client.socket());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 403);
  EXPECT_NE(response->body.find("\"forbidden\""), std::string::npos) << response->body;
  EXPECT_NE(response->body.find("http://evil.example"), std::string::npos) << response->body;
  EXPECT_EQ(metric(R"(sfu_http_refused_total{reason="origin"})"), "1");
}

TEST_F(HttpGuard, WebSocketOriginVariantsWithTheDefaultPolicy) {
  start();
  std::string port = std::to_string(port_);
  EXPECT_EQ(upgrade_status("Host: " + own_host() + "\r\n"), 101) << "no Origin: not a browser";
  EXPECT_EQ(upgrade_status_with_origin("http://127.0.0.1:" + port), 101) << "the server's own page";
  EXPECT_EQ(upgrade_status_with_origin("http://localhost:3000"), 101) << "a page from a loopback host";
  EXPECT_EQ(upgrade_status_with_origin("http://[::1]:8000"), 101);
  EXPECT_EQ(upgrade_status_with_origin("https://evil.example"), 403);
  EXPECT_EQ(upgrade_status_with_origin("null"), 403) << "sandboxed frames, data: URLs, files";
  EXPECT_EQ(upgrade_status_with_origin("http://127.0.0.1.evil.example:" + port), 403);
  // DNS rebinding: the hostile name resolves to this server, page and socket are same-origin.
  EXPECT_EQ(upgrade_status("Host: evil.example:" + port + "\r\nOrigin: http://evil.example:" + port + "\r\n"),
            403);
  EXPECT_EQ(metric(R"(sfu_http_refused_total{reason="origin"})"), "4");
}

TEST_F(HttpGuard, ConfiguredOriginsReplaceTheDefault) {
  start([](config::Config& c) { c.http.allowed_origins = {"https://meet.example.com"}; });
  EXPECT_EQ(upgrade_status("Host: meet.example.com\r\nOrigin: https://meet.example.com\r\n"), 101);
  EXPECT_EQ(upgrade_status_with_origin("http://localhost:3000"), 403);
  // REST through the proxy that serves that origin.
  auto rooms = get("/v1/rooms", "meet.example.com");
  ASSERT_TRUE(rooms);
  EXPECT_EQ(rooms->status, 200);
}

TEST_F(HttpGuard, RestNeedsAHostThatNamesThisServer) {
  start();
  std::string port = std::to_string(port_);
  for (const std::string& host : {own_host(), "localhost:" + port, "[::1]:" + port}) {
    auto response = get("/v1/rooms", host);
    ASSERT_TRUE(response) << host;
    EXPECT_EQ(response->status, 200) << host;
  }
  for (const std::string& host :
       {"evil.example:" + port, std::string("127.0.0.1:1"), std::string("evil.example")}) {
    auto response = get("/v1/rooms", host);
    ASSERT_TRUE(response) << host;
    EXPECT_EQ(response->status, 403) << host;
    EXPECT_NE(response->body.find("\"forbidden\""), std::string::npos) << response->body;
    EXPECT_NE(response->body.find("host"), std::string::npos) << response->body;
  }
  EXPECT_EQ(metric(R"(sfu_http_refused_total{reason="host"})"), "3");
  // Load balancers and scrapers use whatever name they were given: /healthz does not check Host.
  auto health = get("/healthz", "sfu.internal.example:" + port);
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST_F(HttpGuard, CrossSiteRestWritesAreRefused) {
  start();
  std::string headers =
      "Host: " + own_host() + "\r\nContent-Type: text/plain\r\nOrigin: http://evil.example\r\n";
  auto refused = request("POST", "/v1/rooms", headers, R"({"name":"csrf"})");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  auto rooms = get("/v1/rooms", own_host());
  ASSERT_TRUE(rooms);
  EXPECT_EQ(rooms->body.find("csrf"), std::string::npos) << "the refused request created the room";
  std::string own = "Host: " + own_host() + "\r\nOrigin: http://" + own_host() + "\r\n";
  auto created = request("POST", "/v1/rooms", own, R"({"name":"same-site"})");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201);
}

TEST_F(HttpGuard, ConnectionsOverTheTotalCapAreRefusedAndCounted) {
  start([](config::Config& c) { c.http.max_connections = 3; });
  std::vector<std::unique_ptr<WsClient>> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(std::make_unique<WsClient>(port_));
    ASSERT_TRUE(open.back()->handshake()) << "connection " << i;
  }
  Socket extra(port_);
  ASSERT_TRUE(extra.ok());
  EXPECT_TRUE(extra.peer_closed());
  open.pop_back();
  // Until the server has seen that close, /metrics itself is one connection too many.
  std::string refused;
  int refused_reads = 0;
  for (auto deadline = Clock::now() + kWait; refused.empty() && Clock::now() < deadline; ++refused_reads) {
    refused = metric(R"(sfu_http_refused_total{reason="connections"})");
    if (refused.empty()) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(refused, std::to_string(refused_reads));  // the extra connection and each early read
}

TEST_F(HttpGuard, ConnectionsOverThePerAddressCapAreRefusedAndCounted) {
  start([](config::Config& c) { c.http.max_connections_per_address = 2; });
  WsClient first(port_);
  ASSERT_TRUE(first.handshake());
  WsClient second(port_);
  ASSERT_TRUE(second.handshake());
  WsClient third(port_);
  ASSERT_TRUE(third.socket().ok());
  EXPECT_FALSE(third.handshake());
  // From another address: allowed, and it can read the counter.
  Socket other(port_, "127.0.0.2");
  ASSERT_TRUE(other.send_all("GET /metrics HTTP/1.1\r\nHost: " + own_host() + "\r\n\r\n"));
  auto response = read_response(other);
  ASSERT_TRUE(response);
  EXPECT_NE(response->body.find("sfu_http_refused_total{reason=\"connections_per_address\"} 1\n"),
            std::string::npos);
}

TEST_F(HttpGuard, SilentWebSocketIsPingedThenClosed) {
  start([](config::Config& c) {
    c.http.websocket_ping_interval_s = 1;
    c.http.websocket_idle_timeout_s = 2;
  });
  WsClient client(port_);
  ASSERT_TRUE(client.handshake());
  auto start_time = Clock::now();
  auto frame = client.read_frame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, 0x9) << "a silent socket gets a ping";
  while (frame && frame->opcode == 0x9) frame = client.read_frame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->opcode, 0x8);
  EXPECT_EQ(close_code(*frame), 1001);
  EXPECT_LT(Clock::now() - start_time, 6s);
  EXPECT_EQ(metric(R"(sfu_http_timeouts_total{reason="websocket_idle"})"), "1");
}

TEST_F(HttpGuard, MetricsNeedTheAdminTokenWhenRequired) {
  start([](config::Config& c) {
    c.auth.enabled = true;
    c.auth.secret = kSecret;
    c.metrics.require_auth = true;
  });
  int64_t exp = static_cast<int64_t>(std::time(nullptr)) + 3600;
  std::string admin = sign_jwt_hs256({{"admin", true}, {"exp", exp}}, kSecret);
  std::string participant = sign_jwt_hs256({{"room", "r"}, {"name", "n"}, {"exp", exp}}, kSecret);
  auto anonymous = get("/metrics", own_host());
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(anonymous->body.find("sfu_rooms"), std::string::npos);
  auto not_admin = get("/metrics", own_host(), "Authorization: Bearer " + participant + "\r\n");
  ASSERT_TRUE(not_admin);
  EXPECT_EQ(not_admin->status, 403);
  auto allowed = get("/metrics", own_host(), "Authorization: Bearer " + admin + "\r\n");
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
  EXPECT_NE(allowed->body.find("sfu_rooms"), std::string::npos);
  // Health checks stay open: load balancers carry no token.
  auto health = get("/healthz", own_host());
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST_F(HttpGuard, MetricsStayOpenByDefaultWithAuthOn) {
  start([](config::Config& c) {
    c.auth.enabled = true;
    c.auth.secret = kSecret;
  });
  auto response = get("/metrics", own_host());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

// A kick holds for the kicked identity (auth.kick_ban_s, docs/protocol.md section 7): through the
// real WebSocket and REST, the kicked token's subject is refused in that room with `forbidden`.
TEST_F(HttpGuard, AKickedSubjectCannotRejoinTheRoomAtOnce) {
  start([](config::Config& c) {
    c.auth.enabled = true;
    c.auth.secret = kSecret;
  });
  int64_t exp = static_cast<int64_t>(std::time(nullptr)) + 3600;
  std::string token =
      sign_jwt_hs256({{"room", "r"}, {"sub", "u-7"}, {"name", "Mallory"}, {"exp", exp}}, kSecret);
  std::string join = nlohmann::json{{"type", "join"}, {"room", "r"}, {"token", token}}.dump();
  auto reply = [](WsClient& ws) {
    auto message = ws.read_message();
    return message && message->opcode == 0x1 ? nlohmann::json::parse(message->payload) : nlohmann::json();
  };
  WsClient first(port_);
  ASSERT_TRUE(first.handshake());
  ASSERT_TRUE(first.send_text(join));
  nlohmann::json joined = reply(first);
  ASSERT_EQ(joined.value("type", ""), "joined") << joined;

  std::string admin = sign_jwt_hs256({{"admin", true}, {"exp", exp}}, kSecret);
  auto kicked = request("DELETE", "/v1/rooms/r/participants/" + joined.value("participant_id", ""),
                        "Host: " + own_host() + "\r\nAuthorization: Bearer " + admin + "\r\n");
  ASSERT_TRUE(kicked);
  EXPECT_EQ(kicked->status, 204);

  WsClient again(port_);
  ASSERT_TRUE(again.handshake());
  ASSERT_TRUE(again.send_text(join));
  nlohmann::json refused = reply(again);
  EXPECT_EQ(refused.value("code", ""), "forbidden") << refused;
  EXPECT_NE(refused.value("message", "").find("kicked from room 'r'"), std::string::npos) << refused;
  EXPECT_EQ(metric(R"(sfu_joins_refused_total{reason="banned"})"), "1");
}

}  // namespace
