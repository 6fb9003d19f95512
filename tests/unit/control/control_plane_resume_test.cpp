// Session resume through the ClientConnection seam (docs/protocol.md, "Session resume"): a lost
// connection keeps its participant, a `resume` with its token takes it back on another connection
// (same id, the room's state, a new token), and every refusal is answered and counted. The real
// ControlPlane and worker, no sockets; the grace's expiry on the clock is in the integration tests.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/control/control_plane_fixture.h"

namespace sfu::control_test {
namespace {

class ControlPlaneResumeTest : public ControlPlaneFixture {
 protected:
  struct Joined {
    RecordingConnection* connection;
    std::string id;
    std::string token;
  };
  Joined join(const std::string& room, const std::string& name) {
    RecordingConnection& connection = open();
    send(connection, nlohmann::json{{"type", "join"}, {"room", room}, {"name", name}}.dump());
    auto joined = connection.of_type("joined");
    EXPECT_EQ(joined.size(), 1u);
    if (joined.empty()) return {&connection, "", ""};
    return {&connection, joined[0].value("participant_id", ""), joined[0].value("resume_token", "")};
  }
  // Ends the connection without a goodbye (a network drop).
  void drop(RecordingConnection& connection) {
    connection.lost_connection = true;
    closed(connection);
  }
  nlohmann::json resume(RecordingConnection& connection, const std::string& room, const std::string& id,
                        const nlohmann::json& token) {
    size_t before = connection.received.size();
    send(connection,
         nlohmann::json{{"type", "resume"}, {"room", room}, {"participant_id", id}, {"resume_token", token}}
             .dump());
    EXPECT_GT(connection.received.size(), before);
    return connection.received.size() > before ? connection.received[before] : nlohmann::json();
  }
  int64_t metric(const std::string& sample) {
    std::string text = http("GET", "/metrics").body;
    size_t at = text.find("\n" + sample + " ");
    return at == std::string::npos ? -1 : std::stoll(text.substr(at + sample.size() + 2));
  }
  int64_t resumes(const std::string& result) {
    return metric("sfu_resumes_total{result=\"" + result + "\"}");
  }
};

TEST_F(ControlPlaneResumeTest, ALostConnectionKeepsTheParticipantAndAResumeTakesItBack) {
  Joined alice = join("r1", "alice");
  Joined bob = join("r1", "bob");
  ASSERT_FALSE(bob.token.empty()) << "joined carries a resume_token";
  EXPECT_NE(alice.token, bob.token);

  drop(*bob.connection);
  EXPECT_TRUE(alice.connection->of_type("participant_left").empty()) << "the others see nothing";
  EXPECT_EQ(metric("sfu_participants_detached"), 1);
  EXPECT_EQ(metric("sfu_participants"), 2);

  RecordingConnection& again = open();
  nlohmann::json resumed = resume(again, "r1", bob.id, bob.token);
  ASSERT_EQ(resumed.value("type", ""), "resumed") << resumed;
  EXPECT_EQ(resumed["participant_id"], bob.id);
  EXPECT_EQ(resumed["room"], "r1");
  ASSERT_EQ(resumed["participants"].size(), 1u) << resumed;
  EXPECT_EQ(resumed["participants"][0]["id"], alice.id);
  std::string next_token = resumed.value("resume_token", "");
  EXPECT_FALSE(next_token.empty());
  EXPECT_NE(next_token, bob.token) << "a new token on every resume";

  EXPECT_TRUE(alice.connection->of_type("participant_left").empty());
  EXPECT_EQ(alice.connection->of_type("participant_joined").size(), 1u) << "only bob's first join";
  EXPECT_EQ(metric("sfu_participants_detached"), 0);
  EXPECT_EQ(resumes("ok"), 1);

  // The resumed connection is the participant's: a leave there ends it.
  send(again, R"({"type":"leave"})");
  ASSERT_EQ(alice.connection->of_type("participant_left").size(), 1u);
  EXPECT_EQ(alice.connection->of_type("participant_left")[0]["participant_id"], bob.id);
  EXPECT_EQ(alice.connection->of_type("participant_left")[0]["reason"], "left");
}

TEST_F(ControlPlaneResumeTest, ForgedReusedAndUnknownTokensAreRefusedAndCounted) {
  Joined alice = join("r1", "alice");
  Joined bob = join("r1", "bob");
  drop(*bob.connection);
  RecordingConnection& attacker = open();

  nlohmann::json forged = resume(attacker, "r1", bob.id, alice.token);
  EXPECT_EQ(forged["type"], "error");
  EXPECT_EQ(forged["code"], "resume_failed");
  EXPECT_EQ(forged["request_type"], "resume");
  EXPECT_NE(forged["message"].get<std::string>().find("not valid"), std::string::npos) << forged;
  EXPECT_EQ(resume(attacker, "r1", bob.id, std::string(43, 'A'))["code"], "resume_failed");
  EXPECT_EQ(resumes("bad_token"), 2);
  // An unknown participant, or the right one in another room, is not waiting anywhere.
  EXPECT_EQ(resume(attacker, "r1", "pnobody000000", bob.token)["code"], "resume_failed");
  EXPECT_EQ(resume(attacker, "r2", bob.id, bob.token)["code"], "resume_failed");
  EXPECT_EQ(resumes("expired"), 2);
  EXPECT_EQ(resume(attacker, "r1", bob.id, "")["code"], "resume_failed");
  EXPECT_EQ(resume(attacker, "r1", bob.id, nullptr)["code"], "bad_request");  // not a string
  EXPECT_FALSE(attacker.close_code.has_value()) << "refusals leave the socket open";

  // Bad attempts spent nothing: the real token still works, once.
  RecordingConnection& again = open();
  ASSERT_EQ(resume(again, "r1", bob.id, bob.token)["type"], "resumed");
  EXPECT_EQ(resume(attacker, "r1", bob.id, bob.token)["code"], "resume_failed") << "reused";
  EXPECT_EQ(resumes("bad_token"), 4);
  EXPECT_EQ(resume(again, "r1", bob.id, bob.token)["code"], "already_joined");
  EXPECT_TRUE(alice.connection->of_type("participant_left").empty());
  EXPECT_FALSE(again.close_code.has_value());
}

TEST_F(ControlPlaneResumeTest, AResumeWhileTheOldConnectionIsOpenClosesTheOldOne) {
  Joined alice = join("r1", "alice");
  Joined bob = join("r1", "bob");
  RecordingConnection& second = open();
  nlohmann::json resumed = resume(second, "r1", bob.id, bob.token);
  ASSERT_EQ(resumed["type"], "resumed");
  ASSERT_TRUE(bob.connection->close_code.has_value());
  EXPECT_EQ(*bob.connection->close_code, 4001);
  EXPECT_EQ(bob.connection->close_reason, "resumed on another connection");
  closed(*bob.connection);  // the old socket's end changes nothing now
  EXPECT_TRUE(alice.connection->of_type("participant_left").empty());
  // ... and the next drop and resume use the token `resumed` carried.
  drop(second);
  RecordingConnection& third = open();
  EXPECT_EQ(resume(third, "r1", bob.id, resumed["resume_token"])["type"], "resumed");
  EXPECT_TRUE(alice.connection->of_type("participant_left").empty());
}

TEST_F(ControlPlaneResumeTest, AGoodbyeALeaveOrAKickEndsTheParticipantAtOnce) {
  Joined alice = join("r1", "alice");
  Joined bob = join("r1", "bob");
  Joined carol = join("r1", "carol");
  Joined dave = join("r1", "dave");
  closed(*bob.connection);  // closed with 1000 / 1001: a goodbye
  send(*carol.connection, R"({"type":"leave"})");
  drop(*dave.connection);
  EXPECT_EQ(http("DELETE", "/v1/rooms/r1/participants/" + dave.id).status, 204);  // kicked while away
  auto left = alice.connection->of_type("participant_left");
  ASSERT_EQ(left.size(), 3u);
  EXPECT_EQ(left[0]["reason"], "signaling connection closed");
  EXPECT_EQ(left[1]["reason"], "left");
  EXPECT_EQ(left[2]["reason"], "kicked");
  RecordingConnection& again = open();
  for (const Joined* gone : {&bob, &carol, &dave})
    EXPECT_EQ(resume(again, "r1", gone->id, gone->token)["code"], "resume_failed") << gone->id;
  EXPECT_EQ(resumes("expired"), 3);
  EXPECT_EQ(metric("sfu_participants_detached"), 0);
}

TEST_F(ControlPlaneResumeTest, ADeletedRoomTakesItsDetachedParticipantsWithIt) {
  Joined bob = join("r1", "bob");
  drop(*bob.connection);
  EXPECT_EQ(http("DELETE", "/v1/rooms/r1").status, 204);
  EXPECT_EQ(metric("sfu_participants_detached"), 0);
  RecordingConnection& again = open();
  EXPECT_EQ(resume(again, "r1", bob.id, bob.token)["code"], "resume_failed");
}

class ControlPlaneResumeOffTest : public ControlPlaneResumeTest {
  void SetUp() override {
    config::Config config = test_config();
    config.signaling.resume_grace_s = 0;
    start(config);
  }
};

TEST_F(ControlPlaneResumeOffTest, WithoutAGraceALostConnectionLeavesAtOnceAndNoTokenIsGiven) {
  Joined alice = join("r1", "alice");
  Joined bob = join("r1", "bob");
  EXPECT_TRUE(bob.token.empty());
  EXPECT_FALSE(bob.connection->of_type("joined")[0].contains("resume_token"));
  drop(*bob.connection);
  ASSERT_EQ(alice.connection->of_type("participant_left").size(), 1u);
  RecordingConnection& again = open();
  nlohmann::json refused = resume(again, "r1", bob.id, "anything");
  EXPECT_EQ(refused["code"], "resume_failed");
  EXPECT_NE(refused["message"].get<std::string>().find("resume_grace_s"), std::string::npos) << refused;
}

}  // namespace
}  // namespace sfu::control_test
