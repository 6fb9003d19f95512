// The signaling handler through the ClientConnection seam: the same ControlPlane code the
// WebSocket server drives, with real rooms on a real worker and no sockets.
#include <gtest/gtest.h>

#include "tests/unit/control/control_plane_fixture.h"

namespace sfu::control_test {
namespace {

class ControlPlaneSignalingTest : public ControlPlaneFixture {};

TEST_F(ControlPlaneSignalingTest, JoinPingAndLeaveReachTheOtherParticipant) {
  RecordingConnection& alice = open();
  RecordingConnection& bob = open();
  send(alice, R"({"type":"join","room":"r1","name":"alice"})");
  send(bob, R"({"type":"join","room":"r1","name":"bob"})");
  ASSERT_EQ(alice.of_type("joined").size(), 1u);
  ASSERT_EQ(bob.of_type("joined").size(), 1u);
  std::string bob_id = bob.of_type("joined")[0]["participant_id"];
  ASSERT_EQ(alice.of_type("participant_joined").size(), 1u);
  EXPECT_EQ(alice.of_type("participant_joined")[0]["participant"]["id"], bob_id);

  send(alice, R"({"type":"ping"})");
  EXPECT_EQ(alice.of_type("pong").size(), 1u);

  closed(bob);
  ASSERT_EQ(alice.of_type("participant_left").size(), 1u);
  EXPECT_EQ(alice.of_type("participant_left")[0]["participant_id"], bob_id);
}

// `stay` (cluster mode, docs/protocol.md 2.2) is a boolean; a single server ignores `true`.
TEST_F(ControlPlaneSignalingTest, JoinStayMustBeABooleanAndIsIgnoredByOneServer) {
  RecordingConnection& bad = open();
  send(bad, R"({"type":"join","room":"r1","name":"alice","stay":"yes"})");
  ASSERT_EQ(bad.of_type("error").size(), 1u);
  EXPECT_EQ(bad.of_type("error")[0]["code"], "bad_request");
  EXPECT_TRUE(bad.of_type("joined").empty());
  RecordingConnection& good = open();
  send(good, R"({"type":"join","room":"r1","name":"bob","stay":true})");
  EXPECT_EQ(good.of_type("joined").size(), 1u);
}

TEST_F(ControlPlaneSignalingTest, TooManyBadMessagesCloseTheConnection) {
  RecordingConnection& client = open();
  for (int i = 0; i < 10; ++i) send(client, "not json");
  EXPECT_EQ(client.of_type("error").back()["code"], "too_many_errors");
  ASSERT_TRUE(client.close_code.has_value());
  EXPECT_EQ(*client.close_code, 1008);
}

TEST_F(ControlPlaneSignalingTest, ARestKickReachesTheParticipantsConnection) {
  RecordingConnection& client = open();
  send(client, R"({"type":"join","room":"r1","name":"alice"})");
  ASSERT_EQ(client.of_type("joined").size(), 1u);
  std::string id = client.of_type("joined")[0]["participant_id"];
  EXPECT_EQ(http("DELETE", "/v1/rooms/r1/participants/" + id).status, 204);
  EXPECT_EQ(client.of_type("kicked").size(), 1u);
  ASSERT_TRUE(client.close_code.has_value());
  EXPECT_EQ(*client.close_code, 1000);
}

}  // namespace
}  // namespace sfu::control_test
