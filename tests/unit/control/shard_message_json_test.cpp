// Shard messages as JSON for other nodes (shard_message_json.h): every payload round-trips with
// every field, and a message of the wrong shape is refused whole.
#include "sfu/control/shard_message_json.h"

#include <gtest/gtest.h>

namespace sfu {
namespace {

PublishedTrackSpec video_spec() {
  PublishedTrackSpec spec;
  spec.id = "cam";
  spec.mid = "1";
  spec.kind = sdp::MediaKind::kVideo;
  spec.ssrc = 1111;
  spec.rtx_ssrc = 2222;
  spec.rid = "q";
  spec.layers = {{"q", 1111, 2222}, {"h", 3333, 4444}, {"f", 0, 0}};
  sdp::Codec vp8;
  vp8.payload_type = 96;
  vp8.name = "VP8";
  vp8.clock_rate = 90000;
  vp8.rtcp_fb = {{"nack", ""}, {"nack", "pli"}, {"goog-remb", ""}};
  sdp::Codec opus_like;
  opus_like.payload_type = 111;
  opus_like.name = "opus";
  opus_like.clock_rate = 48000;
  opus_like.channels = 2;
  opus_like.fmtp = {{"minptime", "10"}, {"useinbandfec", "1"}};
  opus_like.fmtp_raw = "minptime=10;useinbandfec=1";
  spec.codecs = {vp8, opus_like};
  spec.rtx_payload_type[96] = 97;
  spec.red_payload_type = 63;
  spec.red_primary_payload_type = 111;
  spec.extensions = {1, 2, 3, 4, 5, 6, 7};
  return spec;
}

ShardMessage round_trip(const ShardMessage& message) {
  // Through text, as it travels.
  nlohmann::json parsed = nlohmann::json::parse(shard_message_to_json(message).dump());
  std::optional<ShardMessage> back = shard_message_from_json(parsed);
  EXPECT_TRUE(back.has_value()) << parsed.dump();
  return back.value_or(ShardMessage{});
}

void expect_same_spec(const PublishedTrackSpec& a, const PublishedTrackSpec& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.mid, b.mid);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.ssrc, b.ssrc);
  EXPECT_EQ(a.rtx_ssrc, b.rtx_ssrc);
  EXPECT_EQ(a.rid, b.rid);
  EXPECT_EQ(a.layers, b.layers);
  ASSERT_EQ(a.codecs.size(), b.codecs.size());
  for (size_t i = 0; i < a.codecs.size(); ++i) {
    EXPECT_EQ(a.codecs[i].payload_type, b.codecs[i].payload_type);
    EXPECT_EQ(a.codecs[i].name, b.codecs[i].name);
    EXPECT_EQ(a.codecs[i].clock_rate, b.codecs[i].clock_rate);
    EXPECT_EQ(a.codecs[i].channels, b.codecs[i].channels);
    EXPECT_EQ(a.codecs[i].fmtp_raw, b.codecs[i].fmtp_raw);
    EXPECT_EQ(a.codecs[i].rtcp_fb, b.codecs[i].rtcp_fb);
    ASSERT_EQ(a.codecs[i].fmtp.size(), b.codecs[i].fmtp.size());
    for (size_t j = 0; j < a.codecs[i].fmtp.size(); ++j) {
      EXPECT_EQ(a.codecs[i].fmtp[j].key, b.codecs[i].fmtp[j].key);
      EXPECT_EQ(a.codecs[i].fmtp[j].value, b.codecs[i].fmtp[j].value);
    }
  }
  EXPECT_EQ(a.rtx_payload_type, b.rtx_payload_type);
  EXPECT_EQ(a.red_payload_type, b.red_payload_type);
  EXPECT_EQ(a.red_primary_payload_type, b.red_primary_payload_type);
  EXPECT_EQ(a.extensions, b.extensions);
}

TEST(ShardMessageJson, StateRoundTripsWithEveryField) {
  ShardState state;
  state.wants_media = true;
  state.members.push_back({"p1", "Alice", {{video_spec(), {4, 9}}}});
  state.members.push_back({"p2", "Bob", {}});
  ShardMessage back = round_trip({"standup", 1, 0u, state});
  EXPECT_EQ(back.room, "standup");
  EXPECT_EQ(back.from_worker, 1u);
  ASSERT_TRUE(back.to_worker.has_value());
  EXPECT_EQ(*back.to_worker, 0u);
  const auto* got = std::get_if<ShardState>(&back.payload);
  ASSERT_NE(got, nullptr);
  EXPECT_TRUE(got->wants_media);
  ASSERT_EQ(got->members.size(), 2u);
  EXPECT_EQ(got->members[0].id, "p1");
  EXPECT_EQ(got->members[0].name, "Alice");
  ASSERT_EQ(got->members[0].tracks.size(), 1u);
  EXPECT_EQ(got->members[0].tracks[0].ref, (CrossWorkerTrackRef{4, 9}));
  expect_same_spec(got->members[0].tracks[0].spec, video_spec());
  EXPECT_TRUE(got->members[1].tracks.empty());
}

TEST(ShardMessageJson, EveryOtherPayloadRoundTrips) {
  ShardMessage joined = round_trip({"r", 0, std::nullopt, ShardJoined{"p1", "Alice \"A\" \xC3\xA9"}});
  EXPECT_FALSE(joined.to_worker.has_value());
  ASSERT_NE(std::get_if<ShardJoined>(&joined.payload), nullptr);
  EXPECT_EQ(std::get<ShardJoined>(joined.payload).name, "Alice \"A\" \xC3\xA9");
  ShardMessage left = round_trip({"r", 0, std::nullopt, ShardLeft{"p1", "left"}});
  EXPECT_EQ(std::get<ShardLeft>(left.payload).reason, "left");
  ShardMessage published =
      round_trip({"r", 2, std::nullopt, ShardTrackPublished{"p1", {video_spec(), {1, 2}}}});
  const auto& track = std::get<ShardTrackPublished>(published.payload);
  EXPECT_EQ(track.participant_id, "p1");
  EXPECT_EQ(track.track.ref, (CrossWorkerTrackRef{1, 2}));
  expect_same_spec(track.track.spec, video_spec());
  ShardMessage unpublished = round_trip({"r", 0, std::nullopt, ShardTrackUnpublished{"p1", {1, 2}}});
  EXPECT_EQ(std::get<ShardTrackUnpublished>(unpublished.payload).ref, (CrossWorkerTrackRef{1, 2}));
  ShardMessage demand = round_trip({"r", 0, std::nullopt, ShardDemand{true}});
  EXPECT_TRUE(std::get<ShardDemand>(demand.payload).wants_media);
}

TEST(ShardMessageJson, WrongShapesAreRefusedWhole) {
  nlohmann::json good =
      shard_message_to_json({"r", 0, std::nullopt, ShardTrackPublished{"p1", {video_spec(), {1, 2}}}});
  ASSERT_TRUE(shard_message_from_json(good));
  auto refused = [&](const std::function<void(nlohmann::json&)>& change) {
    nlohmann::json bad = good;
    change(bad);
    return !shard_message_from_json(bad).has_value();
  };
  EXPECT_TRUE(refused([](auto& j) { j.erase("room"); }));
  EXPECT_TRUE(refused([](auto& j) { j["from_worker"] = -1; }));
  EXPECT_TRUE(refused([](auto& j) { j["from_worker"] = "0"; }));
  EXPECT_TRUE(refused([](auto& j) { j["payload"]["type"] = "mystery"; }));
  EXPECT_TRUE(refused([](auto& j) { j["payload"]["track"]["spec"]["kind"] = 9; }));
  EXPECT_TRUE(refused([](auto& j) { j["payload"]["track"]["spec"]["codecs"][0]["payload_type"] = 300; }));
  EXPECT_TRUE(refused([](auto& j) { j["payload"]["track"]["spec"]["rtx_payload_types"] = {{200, 97}}; }));
  EXPECT_TRUE(refused([](auto& j) { j["payload"]["track"]["spec"]["extensions"] = {1, 2, 3}; }));
  EXPECT_TRUE(refused([](auto& j) { j["payload"]["track"]["ref"].erase("generation"); }));
  EXPECT_TRUE(refused([](auto& j) { j["payload"] = nullptr; }));
  EXPECT_TRUE(refused([](auto& j) { j = nlohmann::json::array(); }));
}

}  // namespace
}  // namespace sfu
