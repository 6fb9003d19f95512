// REST on a room whose parts are on several nodes: the answers of the parts merged into one
// (room_rest_merge.h).
#include "sfu/control/room_rest_merge.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace sfu {
namespace {

using json = nlohmann::json;

PartAnswer part(const std::string& node, int status, const json& body = nullptr) {
  return {node, {status, "application/json", body.is_null() ? std::string() : body.dump()}};
}

json body_of(const cluster::ForwardedAnswer& answer) { return json::parse(answer.body, nullptr, false); }

json room_detail(const std::vector<json>& participants, const json& remote_subscribers = nullptr) {
  json detail = {{"name", "r"}, {"created_at", 1}, {"max_participants", 10},
                 {"worker", 0}, {"workers", {0}},  {"participants", participants}};
  if (!remote_subscribers.is_null()) detail["remote_subscribers"] = remote_subscribers;
  return detail;
}

json participant(const std::string& id, const std::string& track, int subscribers) {
  return {{"id", id},
          {"name", id},
          {"worker", 0},
          {"tracks",
           {{{"id", track}, {"kind", "video"}, {"packets", 1}, {"bytes", 1}, {"subscribers", subscribers}}}},
          {"data_tracks", json::array()}};
}

TEST(RoomRestKind, OnlyTheRoomRequestsThatActOnTheWholeRoom) {
  EXPECT_EQ(room_rest_kind({"v1", "rooms", "r"}, "GET"), RoomRestKind::get);
  EXPECT_EQ(room_rest_kind({"v1", "rooms", "r"}, "DELETE"), RoomRestKind::remove);
  EXPECT_EQ(room_rest_kind({"v1", "rooms", "r", "data"}, "POST"), RoomRestKind::data);
  EXPECT_EQ(room_rest_kind({"v1", "rooms", "r", "participants", "p"}, "DELETE"), RoomRestKind::kick);
  EXPECT_FALSE(room_rest_kind({"v1", "rooms"}, "GET"));
  EXPECT_FALSE(room_rest_kind({"v1", "rooms", "r"}, "POST"));
  EXPECT_FALSE(room_rest_kind({"v1", "rooms", "r", "other"}, "POST"));
  EXPECT_FALSE(room_rest_kind({"v1", "rooms", "r", "data"}, "GET"));
  EXPECT_FALSE(room_rest_kind({"v1", "rooms", "r", "participants", "p", "x"}, "DELETE"));
}

TEST(MergePartAnswers, GetListsEveryPartsParticipantsWithTheirNodeAndAllSubscribers) {
  RoomRestMerge merge{RoomRestKind::get, "r", "node-a", {}, {}};
  auto answer = merge_part_answers(
      merge, {part("node-b", 200, room_detail({participant("pb", "tb", 0)}, {{"ta", 1}})),
              part("node-a", 200, room_detail({participant("pa", "ta", 2)}, {{"tb", 3}}))});
  ASSERT_EQ(answer.status, 200);
  json body = body_of(answer);
  ASSERT_EQ(body["participants"].size(), 2u) << body.dump();
  EXPECT_EQ(body["participants"][0]["id"], "pa");
  EXPECT_EQ(body["participants"][0]["node"], "node-a");
  EXPECT_EQ(body["participants"][0]["tracks"][0]["subscribers"], 3);  // 2 on A, 1 on B
  EXPECT_EQ(body["participants"][1]["node"], "node-b");
  EXPECT_EQ(body["participants"][1]["tracks"][0]["subscribers"], 3);
  EXPECT_FALSE(body.contains("remote_subscribers"));
  EXPECT_FALSE(body.contains("nodes_unanswered"));
  ASSERT_EQ(body["nodes"].size(), 2u);
  EXPECT_EQ(body["nodes"][0],
            json({{"node", "node-a"}, {"participants", 1}, {"worker", 0}, {"workers", {0}}}));
  EXPECT_EQ(body["max_participants"], 10);
}

TEST(MergePartAnswers, APartThatDidNotAnswerIsNamedAndTheOthersStillCount) {
  RoomRestMerge merge{RoomRestKind::get, "r", "node-a", {}, {}};
  json timeout = {{"error", {{"code", "node_timeout"}, {"message", "late"}}}};
  auto answer = merge_part_answers(
      merge, {part("node-a", 200, room_detail({participant("pa", "ta", 0)})), part("node-b", 504, timeout)});
  ASSERT_EQ(answer.status, 200);
  EXPECT_EQ(body_of(answer)["nodes_unanswered"], json({"node-b"}));
  // Nobody answered: the failure itself, with the nodes.
  auto none = merge_part_answers(merge, {part("node-a", 504, timeout), part("node-b", 404, timeout)});
  EXPECT_EQ(none.status, 504);
  EXPECT_EQ(body_of(none)["nodes_unanswered"], json({"node-a"}));
}

TEST(MergePartAnswers, DeleteSucceedsWhenEveryPartClosedAndSaysWhichDidNot) {
  RoomRestMerge merge{RoomRestKind::remove, "r", "node-a", {}, {}};
  EXPECT_EQ(merge_part_answers(merge, {part("node-a", 204), part("node-b", 404)}).status, 204);
  EXPECT_EQ(merge_part_answers(merge, {part("node-a", 404), part("node-b", 404)}).status, 404);
  auto partial = merge_part_answers(
      merge, {part("node-a", 204), part("node-b", 503, {{"error", {{"code", "node_unavailable"}}}})});
  EXPECT_EQ(partial.status, 503);
  EXPECT_EQ(body_of(partial)["error"]["code"], "node_unavailable");
  EXPECT_EQ(body_of(partial)["nodes_unanswered"], json({"node-b"}));
}

TEST(MergePartAnswers, KickSucceedsWhereTheParticipantWas) {
  RoomRestMerge merge{RoomRestKind::kick, "r", "node-a", "p", {}};
  EXPECT_EQ(merge_part_answers(merge, {part("node-a", 404), part("node-b", 204)}).status, 204);
  EXPECT_EQ(merge_part_answers(merge, {part("node-a", 404), part("node-b", 404)}).status, 404);
}

TEST(MergePartAnswers, DataPostsCountEveryPartsTargetsAndNeedEveryNamedOneSomewhere) {
  RoomRestMerge everyone{RoomRestKind::data, "r", "node-a", {}, {}};
  auto sent =
      merge_part_answers(everyone, {part("node-a", 202, {{"participants", 2}, {"held", json::array()}}),
                                    part("node-b", 202, {{"participants", 1}, {"held", json::array()}})});
  EXPECT_EQ(sent.status, 202);
  EXPECT_EQ(body_of(sent), json({{"participants", 3}}));
  RoomRestMerge named{RoomRestKind::data, "r", "node-a", {}, {"pa", "pb"}};
  auto found = merge_part_answers(named, {part("node-a", 202, {{"participants", 1}, {"held", {"pa"}}}),
                                          part("node-b", 202, {{"participants", 1}, {"held", {"pb"}}})});
  EXPECT_EQ(found.status, 202);
  EXPECT_EQ(body_of(found)["participants"], 2);
  auto missing =
      merge_part_answers(named, {part("node-a", 202, {{"participants", 1}, {"held", {"pa"}}}),
                                 part("node-b", 202, {{"participants", 0}, {"held", json::array()}})});
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(body_of(missing)["error"]["message"].get<std::string>().find("'pb'"), std::string::npos);
}

}  // namespace
}  // namespace sfu
