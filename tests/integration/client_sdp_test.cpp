// The participant client's SDP (bench/client/client_sdp.h) against the server's negotiation: what
// the client offers and answers must be what the server accepts.
#include "bench/client/client_sdp.h"

#include <gtest/gtest.h>

#include "sfu/sdp/sdp_negotiation.h"

using namespace sfu;

namespace {

TEST(ClientSdp, PublishOfferNegotiatesBothTracks) {
  client::PublishOfferParams params;
  params.transport = {"ufrag1234", "passwordpasswordpassword", "AB:CD:EF"};
  params.stream_id = "stream";
  params.cname = "cname";
  params.audio_track_id = "mic";
  params.video_track_id = "cam";
  params.audio_ssrc = 1111;
  params.video_ssrc = 2222;
  params.video_rtx_ssrc = 3333;
  auto text = sdp::write_sdp(client::build_publish_offer(params));
  auto parsed = sdp::parse_sdp(text);
  ASSERT_TRUE(std::holds_alternative<sdp::SessionDescription>(parsed)) << text;
  sdp::LocalTransport local{
      "srv", "serverpasswordserverpass", "01:02", {sdp::make_host_candidate("127.0.0.1", 5000)}};
  auto negotiated = sdp::negotiate_publish(std::get<sdp::SessionDescription>(parsed), local);
  ASSERT_TRUE(std::holds_alternative<sdp::PublishResult>(negotiated))
      << std::get<sdp::SdpError>(negotiated).to_string() << "\n"
      << text;
  const auto& result = std::get<sdp::PublishResult>(negotiated);
  ASSERT_EQ(result.tracks.size(), 2u);
  EXPECT_EQ(result.tracks[0].kind, sdp::MediaKind::kAudio);
  EXPECT_EQ(result.tracks[0].track_id, "mic");
  EXPECT_EQ(result.tracks[0].ssrcs, std::vector<uint32_t>{1111});
  EXPECT_EQ(result.tracks[1].kind, sdp::MediaKind::kVideo);
  EXPECT_EQ(result.tracks[1].track_id, "cam");
  EXPECT_EQ(result.tracks[1].ssrcs, std::vector<uint32_t>{2222});
  EXPECT_EQ(result.tracks[1].rtx_ssrcs, std::vector<uint32_t>{3333});
  ASSERT_EQ(result.tracks[1].codecs.size(), 1u);
  EXPECT_EQ(result.tracks[1].codecs[0].rtx_payload_type, std::optional<uint8_t>(client::kVp8RtxPayloadType));
  EXPECT_EQ(result.remote.setup, "actpass");
  EXPECT_EQ(result.remote.ice_ufrag, "ufrag1234");

  // The answer tells the client where to go.
  auto endpoint = client::server_endpoint_of(result.answer);
  ASSERT_TRUE(std::holds_alternative<client::ServerEndpoint>(endpoint)) << std::get<std::string>(endpoint);
  EXPECT_EQ(std::get<client::ServerEndpoint>(endpoint).address.to_string(), "127.0.0.1:5000");
  EXPECT_EQ(std::get<client::ServerEndpoint>(endpoint).setup, "passive");
}

TEST(ClientSdp, SubscribeAnswerIsAcceptedByTheServer) {
  sdp::LocalTransport local{
      "srv", "serverpasswordserverpass", "01:02", {sdp::make_host_candidate("127.0.0.1", 5000)}};
  std::vector<sdp::SubscribeSlot> slots(3);
  slots[0].mid = "0";
  slots[0].kind = sdp::MediaKind::kAudio;
  slots[0].participant_id = "p1";
  slots[0].track_id = "mic";
  slots[0].ssrc = 10;
  slots[0].codecs = {{sdp::Codec{111, "opus", 48000, 2, {}, {}, {}}, std::nullopt}};
  slots[0].extensions = {{1, std::nullopt, std::string(sdp::kExtAudioLevel), {}}};
  slots[1].mid = "1";
  slots[1].kind = sdp::MediaKind::kVideo;
  slots[1].participant_id = "p1";
  slots[1].track_id = "cam";
  slots[1].ssrc = 20;
  slots[1].rtx_ssrc = 21;
  slots[1].codecs = {{sdp::Codec{96, "VP8", 90000, 0, {}, {}, {}}, uint8_t{97}},
                     {sdp::Codec{98, "H264", 90000, 0, {}, {}, {}}, uint8_t{99}}};
  slots[2].mid = "2";
  slots[2].kind = sdp::MediaKind::kVideo;
  slots[2].active = false;
  slots[2].codecs = slots[1].codecs;
  auto offer_text = sdp::write_sdp(sdp::build_subscribe_offer(slots, local, 7, 1));
  auto offer = std::get<sdp::SessionDescription>(sdp::parse_sdp(offer_text));

  auto built = client::build_subscribe_answer(offer, {"cli", "clientpasswordclientpass", "AA:BB"}, 9, 1);
  ASSERT_TRUE(std::holds_alternative<client::SubscribeAnswer>(built)) << std::get<std::string>(built);
  const auto& answer = std::get<client::SubscribeAnswer>(built);
  ASSERT_EQ(answer.media.size(), 3u);
  EXPECT_TRUE(answer.media[0].active);
  EXPECT_EQ(answer.media[0].participant_id, "p1");
  EXPECT_EQ(answer.media[0].ssrc, 10u);
  EXPECT_TRUE(answer.media[1].active);
  EXPECT_EQ(answer.media[1].track_id, "cam");
  EXPECT_EQ(answer.media[1].ssrc, 20u);
  EXPECT_EQ(answer.media[1].rtx_ssrc, 21u);
  EXPECT_EQ(answer.media[1].payload_types, std::vector<uint8_t>{96});  // H264 is not decoded
  EXPECT_FALSE(answer.media[2].active);  // kept, bundled and inactive: the server may reuse it
  EXPECT_EQ(answer.answer.media[2].direction, sdp::Direction::kInactive);
  EXPECT_NE(answer.answer.media[2].port, 0);

  auto answer_text = sdp::write_sdp(answer.answer);
  auto reparsed = sdp::parse_sdp(answer_text);
  ASSERT_TRUE(std::holds_alternative<sdp::SessionDescription>(reparsed)) << answer_text;
  auto applied = sdp::apply_subscribe_answer(offer, std::get<sdp::SessionDescription>(reparsed));
  ASSERT_TRUE(std::holds_alternative<sdp::SubscribeAnswerResult>(applied))
      << std::get<sdp::SdpError>(applied).to_string() << "\n"
      << answer_text;
  const auto& result = std::get<sdp::SubscribeAnswerResult>(applied);
  EXPECT_EQ(result.remote.setup, "active");
  EXPECT_EQ(result.remote.ice_ufrag, "cli");
  ASSERT_EQ(result.tracks.size(), 3u);
  EXPECT_TRUE(result.tracks[0].receivable);
  EXPECT_TRUE(result.tracks[1].receivable);
  ASSERT_EQ(result.tracks[1].codecs.size(), 1u);
  EXPECT_EQ(result.tracks[1].codecs[0].rtx_payload_type, std::optional<uint8_t>(97));
  ASSERT_EQ(result.tracks[0].extensions.size(), 1u);
  EXPECT_TRUE(result.tracks[2].accepted);
  EXPECT_FALSE(result.tracks[2].receivable);
}

}  // namespace
