// Auth semantics of joins and REST with auth on (docs/protocol.md section 7): clock-skew leeway,
// the optional audience and issuer, the token's name as the display name, and kicks that hold
// for the kicked identity. The real ControlPlane and worker, no sockets.
#include <gtest/gtest.h>

#include <chrono>

#include "sfu/control/jwt.h"
#include "tests/unit/control/control_plane_fixture.h"

namespace sfu::control_test {
namespace {

constexpr const char* kSecret = "control-plane-auth-test-secret-0";  // 32 bytes

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ControlPlaneAuthTest : public ControlPlaneFixture {
 protected:
  static config::Config auth_config() {
    config::Config config = test_config();
    config.auth.enabled = true;
    config.auth.secret = kSecret;
    return config;
  }
  void SetUp() override {}  // each test starts with the config it needs

  // A join token for `room`, valid for an hour, with these extra claims.
  static std::string token(const std::string& room, nlohmann::json claims) {
    claims["room"] = room;
    if (!claims.contains("exp")) claims["exp"] = unix_now() + 3600;
    return sign_jwt_hs256(claims, kSecret);
  }
  // The one reply to a join with this token (and a `name` the token should override).
  nlohmann::json join(RecordingConnection& client, const std::string& room, const std::string& jwt) {
    size_t before = client.received.size();
    send(client,
         nlohmann::json{{"type", "join"}, {"room", room}, {"name", "chosen-by-client"}, {"token", jwt}}
             .dump());
    EXPECT_EQ(client.received.size(), before + 1);
    return client.received.size() > before ? client.received[before] : nlohmann::json();
  }
  HttpResponse admin(const std::string& method, const std::string& path, nlohmann::json claims = {}) {
    claims["admin"] = true;
    claims["exp"] = unix_now() + 3600;
    return http(method, path, "", {{"authorization", "Bearer " + sign_jwt_hs256(claims, kSecret)}});
  }
  int64_t joins_refused_banned() {
    std::string text = admin("GET", "/metrics").body;
    const std::string sample = R"(sfu_joins_refused_total{reason="banned"} )";
    size_t at = text.find(sample);
    return at == std::string::npos ? -1 : std::stoll(text.substr(at + sample.size()));
  }
};

TEST_F(ControlPlaneAuthTest, ExpAndNbfAllowTheConfiguredClockSkew) {
  start(auth_config());  // auth.clock_skew_s: 30 (default)
  RecordingConnection& client = open();
  EXPECT_EQ(join(client, "r1", token("r1", {{"name", "a"}, {"exp", unix_now() - 3600}}))["code"],
            "unauthorized");
  EXPECT_EQ(join(client, "r1", token("r1", {{"name", "a"}, {"nbf", unix_now() + 3600}}))["code"],
            "unauthorized");
  // A token that expired 5 s ago by the server's clock, from an issuer whose clock is behind.
  EXPECT_EQ(join(client, "r1", token("r1", {{"name", "a"}, {"exp", unix_now() - 5}}))["type"], "joined");
  RecordingConnection& early = open();
  EXPECT_EQ(join(early, "r1", token("r1", {{"name", "b"}, {"nbf", unix_now() + 5}}))["type"], "joined");
}

TEST_F(ControlPlaneAuthTest, NoLeewayWhenClockSkewIsZero) {
  config::Config config = auth_config();
  config.auth.clock_skew_s = 0;
  start(config);
  RecordingConnection& client = open();
  nlohmann::json reply = join(client, "r1", token("r1", {{"name", "a"}, {"exp", unix_now() - 5}}));
  EXPECT_EQ(reply["code"], "unauthorized");
  EXPECT_EQ(reply["message"], "token expired");
}

TEST_F(ControlPlaneAuthTest, AudienceAndIssuerAreRequiredWhenConfigured) {
  config::Config config = auth_config();
  config.auth.audience = "sfu.example.com";
  config.auth.issuer = "https://idp.example.com";
  start(config);
  const nlohmann::json good = {{"name", "a"},
                               {"aud", nlohmann::json::array({"app", "sfu.example.com"})},
                               {"iss", "https://idp.example.com"}};
  RecordingConnection& client = open();
  nlohmann::json claims = good;
  claims.erase("aud");
  nlohmann::json reply = join(client, "r1", token("r1", claims));
  EXPECT_EQ(reply["code"], "unauthorized");
  EXPECT_EQ(reply["message"], "token audience missing: expected 'sfu.example.com'");
  claims = good;
  claims["aud"] = "other.example.com";
  EXPECT_EQ(join(client, "r1", token("r1", claims))["message"],
            "token audience does not include 'sfu.example.com'");
  claims = good;
  claims["iss"] = "https://evil.example.com";
  EXPECT_EQ(join(client, "r1", token("r1", claims))["message"],
            "token issuer is not 'https://idp.example.com'");
  EXPECT_EQ(join(client, "r1", token("r1", good))["type"], "joined");

  // Admin tokens too.
  EXPECT_EQ(admin("GET", "/v1/rooms").status, 401);
  EXPECT_EQ(
      admin("GET", "/v1/rooms", {{"aud", "sfu.example.com"}, {"iss", "https://idp.example.com"}}).status,
      200);
}

// The client's `name` never overrides the token's `name` (or, without one, `sub`).
TEST_F(ControlPlaneAuthTest, TheTokensNameIsTheDisplayName) {
  start(auth_config());
  RecordingConnection& alice = open();
  RecordingConnection& bob = open();
  RecordingConnection& carol = open();
  ASSERT_EQ(join(alice, "r1", token("r1", {{"name", "Alice"}, {"sub", "u-alice"}}))["type"], "joined");
  ASSERT_EQ(join(bob, "r1", token("r1", {{"sub", "u-bob"}}))["type"], "joined");
  ASSERT_EQ(join(carol, "r1", token("r1", {}))["type"], "joined");
  auto joined = alice.of_type("participant_joined");
  ASSERT_EQ(joined.size(), 2u);
  EXPECT_EQ(joined[0]["participant"]["name"], "u-bob");
  EXPECT_EQ(joined[1]["participant"]["name"], "chosen-by-client");  // the token names no one
  EXPECT_EQ(bob.of_type("joined")[0]["participants"][0]["name"], "Alice");
}

TEST_F(ControlPlaneAuthTest, AKickedIdentityCannotRejoinThatRoomDuringTheBan) {
  start(auth_config());  // auth.kick_ban_s: 60 (default)
  RecordingConnection& mallory = open();
  const std::string jwt = token("r1", {{"sub", "u-mallory"}, {"name", "Mallory"}});
  nlohmann::json joined = join(mallory, "r1", jwt);
  ASSERT_EQ(joined["type"], "joined");
  EXPECT_EQ(joins_refused_banned(), 0);
  EXPECT_EQ(
      admin("DELETE", "/v1/rooms/r1/participants/" + joined["participant_id"].get<std::string>()).status,
      204);
  ASSERT_TRUE(mallory.close_code.has_value());

  // The same token, and any other token with the same subject, are refused in that room.
  RecordingConnection& again = open();
  nlohmann::json refused = join(again, "r1", jwt);
  EXPECT_EQ(refused["code"], "forbidden");
  EXPECT_EQ(refused["request_type"], "join");
  EXPECT_NE(refused["message"].get<std::string>().find("kicked from room 'r1'"), std::string::npos)
      << refused;
  EXPECT_EQ(join(again, "r1", token("r1", {{"sub", "u-mallory"}, {"name", "M2"}}))["code"], "forbidden");
  EXPECT_EQ(joins_refused_banned(), 2);
  EXPECT_FALSE(again.close_code.has_value());  // a refused join leaves the socket open

  // Other subjects, and other rooms, are not affected.
  EXPECT_EQ(join(again, "r2", token("r2", {{"sub", "u-mallory"}}))["type"], "joined");
  RecordingConnection& other = open();
  EXPECT_EQ(join(other, "r1", token("r1", {{"sub", "u-trent"}, {"name", "Mallory"}}))["type"], "joined");
}

// Without `sub` the token itself is the identity: it is refused, a new token is not.
TEST_F(ControlPlaneAuthTest, AKickedTokenWithoutSubjectIsRefused) {
  start(auth_config());
  RecordingConnection& client = open();
  const std::string jwt = token("r1", {{"name", "Mallory"}});
  nlohmann::json joined = join(client, "r1", jwt);
  ASSERT_EQ(joined["type"], "joined");
  ASSERT_EQ(
      admin("DELETE", "/v1/rooms/r1/participants/" + joined["participant_id"].get<std::string>()).status,
      204);
  RecordingConnection& again = open();
  EXPECT_EQ(join(again, "r1", jwt)["code"], "forbidden");
  EXPECT_EQ(join(again, "r1", token("r1", {{"name", "Mallory"}, {"jti", "2"}}))["type"], "joined");
}

// A resume needs no join token (the resume token is enough), but a kick's ban holds against it: a
// participant of the kicked identity that was away when the kick came cannot come back.
TEST_F(ControlPlaneAuthTest, AKickBanHoldsAgainstAResume) {
  start(auth_config());
  const std::string jwt = token("r1", {{"sub", "u-mallory"}});
  RecordingConnection& first = open();
  RecordingConnection& second = open();
  nlohmann::json kicked = join(first, "r1", jwt);
  nlohmann::json away = join(second, "r1", jwt);  // the same identity, twice
  ASSERT_EQ(away["type"], "joined");
  second.lost_connection = true;
  closed(second);
  ASSERT_EQ(
      admin("DELETE", "/v1/rooms/r1/participants/" + kicked["participant_id"].get<std::string>()).status,
      204);
  RecordingConnection& back = open();
  send(back, nlohmann::json{{"type", "resume"},
                            {"room", "r1"},
                            {"participant_id", away["participant_id"]},
                            {"resume_token", away["resume_token"]}}
                 .dump());
  ASSERT_FALSE(back.received.empty());
  EXPECT_EQ(back.received.back()["code"], "forbidden") << back.received.back();
  EXPECT_EQ(back.received.back()["request_type"], "resume");
  EXPECT_NE(admin("GET", "/metrics").body.find("sfu_resumes_total{result=\"banned\"} 1"), std::string::npos);

  // A detached participant kicked itself: the ban is on its identity, and its token is worthless.
  RecordingConnection& carol = open();
  nlohmann::json joined = join(carol, "r2", token("r2", {{"sub", "u-carol"}}));
  carol.lost_connection = true;
  closed(carol);
  ASSERT_EQ(
      admin("DELETE", "/v1/rooms/r2/participants/" + joined["participant_id"].get<std::string>()).status,
      204);
  RecordingConnection& rejoin = open();
  EXPECT_EQ(join(rejoin, "r2", token("r2", {{"sub", "u-carol"}}))["code"], "forbidden");
  send(rejoin, nlohmann::json{{"type", "resume"},
                              {"room", "r2"},
                              {"participant_id", joined["participant_id"]},
                              {"resume_token", joined["resume_token"]}}
                   .dump());
  EXPECT_EQ(rejoin.received.back()["code"], "resume_failed");
}

TEST_F(ControlPlaneAuthTest, KickBanZeroLetsTheKickedRejoinAtOnce) {
  config::Config config = auth_config();
  config.auth.kick_ban_s = 0;
  start(config);
  RecordingConnection& client = open();
  const std::string jwt = token("r1", {{"sub", "u-1"}});
  nlohmann::json joined = join(client, "r1", jwt);
  ASSERT_EQ(
      admin("DELETE", "/v1/rooms/r1/participants/" + joined["participant_id"].get<std::string>()).status,
      204);
  RecordingConnection& again = open();
  EXPECT_EQ(join(again, "r1", jwt)["type"], "joined");
}

}  // namespace
}  // namespace sfu::control_test
