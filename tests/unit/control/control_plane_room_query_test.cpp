// GET /v1/rooms/{name} through the ClientConnection seam: the handler defers its answer and the
// room's worker supplies it (ControlPlane::set_deferred_answers collects it here); a room the
// directory does not know is answered at once. The worker-busy and timeout cases, which need the
// server's timer, are in tests/integration/room_lifecycle_test.cpp.
#include <gtest/gtest.h>

#include "tests/unit/control/control_plane_fixture.h"

namespace sfu::control_test {
namespace {

class ControlPlaneRoomQueryTest : public ControlPlaneFixture {};

TEST_F(ControlPlaneRoomQueryTest, TheWorkerAnswersWithItsParticipants) {
  RecordingConnection& alice = open();
  send(alice, R"({"type":"join","room":"r1","name":"alice"})");
  ASSERT_EQ(alice.of_type("joined").size(), 1u);
  HttpResponse answer = http("GET", "/v1/rooms/r1");
  EXPECT_FALSE(answer.deferred);
  ASSERT_EQ(answer.status, 200) << answer.body;
  auto room = nlohmann::json::parse(answer.body);
  EXPECT_EQ(room["name"], "r1");
  ASSERT_EQ(room["participants"].size(), 1u);
  EXPECT_EQ(room["participants"][0]["id"], alice.of_type("joined")[0]["participant_id"]);
  EXPECT_EQ(room["participants"][0]["name"], "alice");
}

TEST_F(ControlPlaneRoomQueryTest, ARoomNotYetOnItsWorkerHasNoOneAndAnUnknownRoomIs404) {
  ASSERT_EQ(http("POST", "/v1/rooms", R"({"name":"rest"})").status, 201);
  HttpResponse empty = http("GET", "/v1/rooms/rest");
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_TRUE(nlohmann::json::parse(empty.body)["participants"].empty());
  EXPECT_EQ(http("GET", "/v1/rooms/nowhere").status, 404);
}

}  // namespace
}  // namespace sfu::control_test
