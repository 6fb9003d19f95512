// The signaling and REST messages built from typed values, pinned to the exact JSON text the
// server sent before the worker stopped building JSON (keys sorted, as nlohmann writes objects).
#include "sfu/control/protocol_messages.h"

#include <gtest/gtest.h>

namespace sfu {
namespace {

std::string text(const RoomEvent& event) { return protocol::event_message(event).dump(); }

TEST(ProtocolMessages, RoomEventsAsSignalingJson) {
  EXPECT_EQ(
      text(Joined{"r", "p1", {{"p0", "Ann", {{"t1", sdp::MediaKind::kVideo}}}}}),
      R"({"participant_id":"p1","participants":[{"id":"p0","name":"Ann","tracks":[{"id":"t1","kind":"video"}]}],)"
      R"("room":"r","type":"joined"})");
  EXPECT_EQ(text(Joined{"r", "p1", {}}),
            R"({"participant_id":"p1","participants":[],"room":"r","type":"joined"})");
  EXPECT_EQ(text(ParticipantJoined{"p2", "Bob"}),
            R"({"participant":{"id":"p2","name":"Bob"},"type":"participant_joined"})");
  EXPECT_EQ(text(ParticipantLeft{"p2"}), R"({"participant_id":"p2","type":"participant_left"})");
  EXPECT_EQ(text(PublishAnswer{"v=0\r\n"}), R"({"sdp":"v=0\r\n","type":"publish_answer"})");
  EXPECT_EQ(text(SubscribeOffer{"v=0\r\n"}), R"({"sdp":"v=0\r\n","type":"subscribe_offer"})");
  EXPECT_EQ(text(TrackPublished{"p1", {"a", sdp::MediaKind::kAudio}}),
            R"({"participant_id":"p1","track":{"id":"a","kind":"audio"},"type":"track_published"})");
  EXPECT_EQ(text(TrackUnpublished{"p1", "a"}),
            R"({"participant_id":"p1","track_id":"a","type":"track_unpublished"})");
  EXPECT_EQ(text(RequestFailed{{ErrorCode::room_full, "room 'r' is full"}, "join"}),
            R"({"code":"room_full","message":"room 'r' is full","request_type":"join","type":"error"})");
}

// Session resume: the room's state after a resume, and why someone left (when the room says).
TEST(ProtocolMessages, ResumedAndTheReasonOfALeave) {
  EXPECT_EQ(text(Joined{"r", "p1", {{"p0", "Ann", {}}}, /*resumed=*/true}),
            R"({"participant_id":"p1","participants":[{"id":"p0","name":"Ann","tracks":[]}],"room":"r",)"
            R"("type":"resumed"})");
  EXPECT_EQ(text(ParticipantLeft{"p2", "resume grace expired"}),
            R"({"participant_id":"p2","reason":"resume grace expired","type":"participant_left"})");
  EXPECT_EQ(protocol::error_message({ErrorCode::resume_failed, "no"}, "resume").dump(),
            R"({"code":"resume_failed","message":"no","request_type":"resume","type":"error"})");
}

TEST(ProtocolMessages, ErrorsLeaveOutAnEmptyRequestType) {
  EXPECT_EQ(protocol::error_message({ErrorCode::too_many_errors, "bye"}).dump(),
            R"({"code":"too_many_errors","message":"bye","type":"error"})");
  EXPECT_EQ(protocol::error_message({ErrorCode::not_joined, "join a room first"}, "leave").dump(),
            R"({"code":"not_joined","message":"join a room first","request_type":"leave","type":"error"})");
}

TEST(ProtocolMessages, RestErrorsCarryTheirHttpStatus) {
  EXPECT_EQ(protocol::rest_error_body({ErrorCode::conflict, "room 'a' exists"}).dump(),
            R"({"error":{"code":"conflict","message":"room 'a' exists"}})");
  EXPECT_EQ(protocol::http_status_of(ErrorCode::bad_request), 400);
  EXPECT_EQ(protocol::http_status_of(ErrorCode::unauthorized), 401);
  EXPECT_EQ(protocol::http_status_of(ErrorCode::forbidden), 403);
  EXPECT_EQ(protocol::http_status_of(ErrorCode::not_found), 404);
  EXPECT_EQ(protocol::http_status_of(ErrorCode::method_not_allowed), 405);
  EXPECT_EQ(protocol::http_status_of(ErrorCode::conflict), 409);
  EXPECT_EQ(protocol::http_status_of(ErrorCode::length_required), 411);
  EXPECT_EQ(protocol::http_status_of(ErrorCode::payload_too_large), 413);
  EXPECT_EQ(protocol::http_status_of(ErrorCode::too_many_rooms), 429);
  EXPECT_EQ(protocol::http_status_of(ErrorCode::internal_error), 500);
  EXPECT_EQ(protocol::http_status_of(ErrorCode::unsupported), 501);
  EXPECT_EQ(protocol::http_status_of(ErrorCode::overloaded), 503);
  EXPECT_EQ(protocol::http_status_of(ErrorCode::worker_timeout), 503);
  EXPECT_EQ(protocol::http_status_of(ErrorCode::server_full), 503);
}

TEST(ProtocolMessages, RoomDetailMergesTheDirectoryAndTheSnapshot) {
  protocol::RoomDirectoryEntry entry{"r", 1, 0, 1700000000, 8};
  RoomSnapshot snapshot{"r", {{"p1", "Ann", {{"t", sdp::MediaKind::kVideo, 10, 1200, 2, {150000, 500000}}}}}};
  EXPECT_EQ(
      protocol::room_detail(entry, snapshot).dump(),
      R"({"created_at":1700000000,"max_participants":8,"name":"r","participants":[{"data_tracks":[],"id":"p1",)"
      R"("name":"Ann","subscriptions":[],"tracks":[{"bytes":1200,"id":"t","kind":"video","layer_bps":[150000,500000],)"
      R"("packets":10,"subscribers":2}],"worker":0}],)"
      R"("worker":0,"workers":[]})");
  EXPECT_EQ(
      protocol::room_summary(entry).dump(),
      R"({"created_at":1700000000,"max_participants":8,"name":"r","participants":1,"worker":0,"workers":[]})");
}

// Rooms across workers: the workers holding the room, and each participant's.
TEST(ProtocolMessages, RoomJsonNamesTheWorkersOfARoomAndOfEachParticipant) {
  const std::vector<uint32_t> workers = {0, 2};
  protocol::RoomDirectoryEntry entry{"r", 2, 0, 1700000000, 8, workers};
  ParticipantSnapshot ann{"p1", "Ann", {}, {}};
  ParticipantSnapshot bob{"p2", "Bob", {}, {}};
  bob.worker = 2;
  nlohmann::json detail = protocol::room_detail(entry, RoomSnapshot{"r", {ann, bob}});
  EXPECT_EQ(detail["workers"], nlohmann::json::array({0, 2}));
  EXPECT_EQ(detail["participants"][0]["worker"], 0);
  EXPECT_EQ(detail["participants"][1]["worker"], 2);
  EXPECT_EQ(protocol::room_summary(entry)["workers"], nlohmann::json::array({0, 2}));
}

TEST(ProtocolMessages, RoomDetailListsSubscriptionsWithTheirLayerPauseAndDrops) {
  protocol::RoomDirectoryEntry entry{"r", 1, 0, 1700000000, 8};
  ParticipantSnapshot participant{"p1", "Ann", {}, {}};
  SubscriptionSnapshot waiting{"t1", "p2", sdp::MediaKind::kVideo, -1, 2, "bandwidth", {}};
  waiting.counters.dropped_paused = 4;
  waiting.counters.dropped_before_keyframe = 7;
  SubscriptionSnapshot forwarding{"t2", "p2", sdp::MediaKind::kAudio, 0, 0, "", {}};
  forwarding.counters.packets = 50;
  forwarding.counters.bytes = 5000;
  participant.subscriptions = {waiting, forwarding};
  nlohmann::json subscriptions =
      protocol::room_detail(entry, RoomSnapshot{"r", {participant}})["participants"][0]["subscriptions"];
  ASSERT_EQ(subscriptions.size(), 2u);
  EXPECT_TRUE(subscriptions[0]["layer"].is_null());
  EXPECT_EQ(subscriptions[0]["target_layer"], 2);
  EXPECT_EQ(subscriptions[0]["paused"], "bandwidth");
  EXPECT_EQ(subscriptions[0]["dropped"]["paused"], 4);
  EXPECT_EQ(subscriptions[0]["dropped"]["waiting_keyframe"], 7);
  EXPECT_EQ(subscriptions[1]["kind"], "audio");
  EXPECT_EQ(subscriptions[1]["layer"], 0);
  EXPECT_TRUE(subscriptions[1]["paused"].is_null());
  EXPECT_EQ(subscriptions[1]["packets"], 50);
  EXPECT_EQ(subscriptions[1]["bytes"], 5000);
}

TEST(ProtocolMessages, RoomDetailListsDataTracksWithTheirReliability) {
  protocol::RoomDirectoryEntry entry{"r", 1, 0, 1700000000, 8};
  ParticipantSnapshot participant{"p1", "Ann", {}, {}};
  participant.data_tracks.push_back({1, "chat", "", true, "reliable", 0, 5, 50, 2});
  participant.data_tracks.push_back({3, "game", "v1", false, "max_retransmits", 0, 7, 70, 1});
  participant.data_tracks.push_back({5, "gps", "", true, "max_packet_life_time", 500, 0, 0, 0});
  RoomSnapshot snapshot{"r", {participant}};
  nlohmann::json tracks = protocol::room_detail(entry, snapshot)["participants"][0]["data_tracks"];
  EXPECT_EQ(
      tracks.dump(),
      R"([{"bytes":50,"label":"chat","messages":5,"ordered":true,"protocol":"","reliability":"reliable",)"
      R"("stream":1,"subscribers":2},)"
      R"({"bytes":70,"label":"game","max_retransmits":0,"messages":7,"ordered":false,"protocol":"v1",)"
      R"("reliability":"max_retransmits","stream":3,"subscribers":1},)"
      R"({"bytes":0,"label":"gps","max_packet_life_time_ms":500,"messages":0,"ordered":true,"protocol":"",)"
      R"("reliability":"max_packet_life_time","stream":5,"subscribers":0}])");
}

TEST(ErrorCodes, AreTheProtocolWords) {
  EXPECT_EQ(to_string(ErrorCode::bad_request), "bad_request");
  EXPECT_EQ(to_string(ErrorCode::message_too_large), "message_too_large");
  EXPECT_EQ(to_string(ErrorCode::connection_lost), "connection_lost");
  EXPECT_EQ(to_string(ErrorCode::unsupported), "unsupported");
  EXPECT_EQ(to_string(ErrorCode::join_timeout), "join_timeout");
  Result<int> value = 3;
  EXPECT_TRUE(value.ok());
  EXPECT_EQ(*value, 3);
  Result<int> failed = Error{ErrorCode::not_found, "gone"};
  EXPECT_FALSE(failed);
  EXPECT_EQ(failed.error(), (Error{ErrorCode::not_found, "gone"}));
  Status done;
  EXPECT_TRUE(done.ok());
}

}  // namespace
}  // namespace sfu
