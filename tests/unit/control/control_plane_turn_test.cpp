// `joined` carries `ice_servers` with TURN REST API credentials when turn.urls is set, and nothing
// new when it is not (docs/protocol.md, 2.6 "TURN relays"). The real ControlPlane and worker, no sockets.
#include <gtest/gtest.h>

#include <chrono>

#include "sfu/control/turn_credentials.h"
#include "tests/unit/control/control_plane_fixture.h"

namespace sfu::control_test {
namespace {

constexpr const char* kTurnSecret = "control-plane-turn-test-secret-0";  // 32 bytes

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ControlPlaneTurnTest : public ControlPlaneFixture {
 protected:
  void SetUp() override {}  // each test starts with the config it needs

  static config::Config turn_config() {
    config::Config config = test_config();
    config.turn.urls = {"turn:10.212.0.1:3478?transport=udp", "turn:10.212.0.1:3478?transport=tcp"};
    config.turn.secret = kTurnSecret;
    config.turn.ttl_s = 3600;
    return config;
  }

  nlohmann::json join(const std::string& room, const std::string& name) {
    RecordingConnection& client = open();
    send(client, nlohmann::json{{"type", "join"}, {"room", room}, {"name", name}}.dump());
    auto joined = client.of_type("joined");
    EXPECT_EQ(joined.size(), 1u);
    return joined.empty() ? nlohmann::json() : joined[0];
  }

  std::string metrics() { return http("GET", "/metrics").body; }
};

TEST_F(ControlPlaneTurnTest, WithoutTurnJoinedHasNoIceServers) {
  start(test_config());
  nlohmann::json joined = join("r1", "alice");
  EXPECT_FALSE(joined.contains("ice_servers")) << joined.dump();
  EXPECT_NE(metrics().find("\nsfu_turn_credentials_issued_total 0\n"), std::string::npos);
}

TEST_F(ControlPlaneTurnTest, JoinedCarriesCredentialsForThisParticipantValidForTtl) {
  start(turn_config());
  const int64_t before = unix_now();
  nlohmann::json joined = join("r1", "alice");
  const int64_t after = unix_now();
  ASSERT_TRUE(joined.contains("ice_servers")) << joined.dump();
  const nlohmann::json& servers = joined["ice_servers"];
  ASSERT_TRUE(servers.is_array());
  ASSERT_EQ(servers.size(), 1u);
  const nlohmann::json& server = servers[0];
  EXPECT_EQ(server["urls"], nlohmann::json(config_.turn.urls));

  // "<expiry>:<participant id>", the expiry turn.ttl_s after the join.
  std::string username = server["username"];
  std::string participant = joined["participant_id"];
  auto colon = username.find(':');
  ASSERT_NE(colon, std::string::npos) << username;
  EXPECT_EQ(username.substr(colon + 1), participant);
  int64_t expiry = std::stoll(username.substr(0, colon));
  EXPECT_GE(expiry, before + 3600);
  EXPECT_LE(expiry, after + 3600);
  // What coturn recomputes with the same secret (the function itself is checked against
  // openssl-computed vectors in turn_credentials_test.cpp).
  EXPECT_EQ(server["credential"], turn_rest_password(kTurnSecret, username));
  EXPECT_EQ(server.size(), 3u) << server.dump();  // urls, username, credential: an RTCIceServer

  // Another participant gets its own username, and the counter counts both.
  nlohmann::json second = join("r1", "bob");
  ASSERT_TRUE(second.contains("ice_servers"));
  EXPECT_NE(second["ice_servers"][0]["username"], server["username"]);
  EXPECT_NE(metrics().find("\nsfu_turn_credentials_issued_total 2\n"), std::string::npos);
}

// A participant taken back by a resume (2.7) gets fresh credentials with `resumed`, for ICE restarts
// to come.
TEST_F(ControlPlaneTurnTest, ResumedCarriesFreshCredentials) {
  start(turn_config());
  RecordingConnection& first = open();
  send(first, R"({"type":"join","room":"r1","name":"alice"})");
  ASSERT_EQ(first.of_type("joined").size(), 1u);
  nlohmann::json joined = first.of_type("joined")[0];
  first.lost_connection = true;
  closed(first);
  RecordingConnection& again = open();
  send(again, nlohmann::json{{"type", "resume"},
                             {"room", "r1"},
                             {"participant_id", joined["participant_id"]},
                             {"resume_token", joined["resume_token"]}}
                  .dump());
  ASSERT_EQ(again.of_type("resumed").size(), 1u) << again.received.back();
  nlohmann::json resumed = again.of_type("resumed")[0];
  ASSERT_TRUE(resumed.contains("ice_servers")) << resumed.dump();
  std::string username = resumed["ice_servers"][0]["username"];
  EXPECT_EQ(username.substr(username.find(':') + 1), joined["participant_id"]);
  EXPECT_EQ(resumed["ice_servers"][0]["credential"], turn_rest_password(kTurnSecret, username));
  EXPECT_NE(metrics().find("\nsfu_turn_credentials_issued_total 2\n"), std::string::npos);
}

}  // namespace
}  // namespace sfu::control_test
