// The test client's data channel SDP (bench/client/client_sdp.h) against the server's negotiation
// (sfu/sdp/sdp_negotiation.h), both ways through SDP text: the publish offer's m=application
// section, the answer to a subscribe offer's one, and what each side learns for its SCTP
// association (whole clients exchanging data through the server: data_channel_test.cpp).
#include <gtest/gtest.h>

#include "bench/client/client_sdp.h"
#include "sfu/sdp/sdp_negotiation.h"

using namespace sfu;

namespace {

const sdp::LocalTransport kServer{
    "srv", "serverpasswordserverpass", "01:02", {sdp::make_host_candidate("127.0.0.1", 5000)}};
const client::ClientTransport kClient{"cli", "clientpasswordclientpass", "AA:BB"};

sdp::SessionDescription reparsed(const sdp::SessionDescription& description) {
  std::string text = sdp::write_sdp(description);
  auto parsed = sdp::parse_sdp(text);
  EXPECT_TRUE(std::holds_alternative<sdp::SessionDescription>(parsed)) << text;
  if (auto* error = std::get_if<sdp::SdpError>(&parsed)) ADD_FAILURE() << error->to_string();
  return std::holds_alternative<sdp::SessionDescription>(parsed) ? std::get<sdp::SessionDescription>(parsed)
                                                                 : sdp::SessionDescription{};
}

client::PublishOfferParams publish_params(std::optional<client::ClientDataChannelOptions> data_channel) {
  client::PublishOfferParams params;
  params.transport = {"ufrag1234", "passwordpasswordpassword", "AB:CD:EF"};
  params.stream_id = "stream";
  params.cname = "cname";
  params.audio_track_id = "mic";
  params.video_track_id = "cam";
  params.audio_ssrc = 1111;
  params.video_ssrc = 2222;
  params.video_rtx_ssrc = 3333;
  params.data_channel = data_channel;
  return params;
}

sdp::PublishResult negotiate(const sdp::SessionDescription& offer,
                             std::optional<sdp::DataChannelOptions> server) {
  sdp::NegotiationOptions options;
  options.data_channels = server;
  auto negotiated = sdp::negotiate_publish(reparsed(offer), kServer, options);
  EXPECT_TRUE(std::holds_alternative<sdp::PublishResult>(negotiated))
      << std::get<sdp::SdpError>(negotiated).to_string();
  return std::holds_alternative<sdp::PublishResult>(negotiated) ? std::get<sdp::PublishResult>(negotiated)
                                                                : sdp::PublishResult{};
}

std::vector<sdp::SubscribeSlot> slots_with_data_channel() {
  std::vector<sdp::SubscribeSlot> slots(3);
  slots[0].mid = "0";
  slots[0].kind = sdp::MediaKind::kAudio;
  slots[0].participant_id = "p1";
  slots[0].track_id = "mic";
  slots[0].ssrc = 10;
  slots[0].codecs = {{sdp::Codec{111, "opus", 48000, 2, {}, {}, {}}, std::nullopt}};
  slots[1].mid = "1";
  slots[1].kind = sdp::MediaKind::kApplication;
  slots[1].sctp_port = 5001;
  slots[1].max_message_size = 1048576;
  slots[2].mid = "2";
  slots[2].kind = sdp::MediaKind::kVideo;
  slots[2].participant_id = "p1";
  slots[2].track_id = "cam";
  slots[2].ssrc = 20;
  slots[2].codecs = {{sdp::Codec{96, "VP8", 90000, 0, {}, {}, {}}, std::nullopt}};
  return slots;
}

TEST(ClientSdpDataChannel, PublishOfferIsAcceptedAndBothSidesKnowTheAssociation) {
  client::ClientDataChannelOptions ours{5002, 65536};
  sdp::SessionDescription offer = client::build_publish_offer(publish_params(ours));
  std::string text = sdp::write_sdp(offer);
  EXPECT_NE(text.find("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=group:BUNDLE 0 1 2\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=sctp-port:5002\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=max-message-size:65536\r\n"), std::string::npos) << text;

  sdp::PublishResult result = negotiate(offer, sdp::DataChannelOptions{5001, 1048576});
  EXPECT_EQ(result.tracks.size(), 2u);
  ASSERT_TRUE(result.data_channel.has_value());
  EXPECT_EQ(result.data_channel->mid, client::kDataMid);
  EXPECT_EQ(result.data_channel->sctp_port, 5002);           // the client's port, for the server
  EXPECT_EQ(result.data_channel->max_message_size, 65536u);  // what the client takes

  // What the client's association needs from the server's answer.
  auto server = client::data_channel_of(reparsed(result.answer), ours.max_message_size);
  ASSERT_TRUE(server.has_value());
  EXPECT_EQ(server->mid, client::kDataMid);
  EXPECT_EQ(server->sctp_port, 5001);
  EXPECT_EQ(server->max_message_size, 1048576u);
}

TEST(ClientSdpDataChannel, WithoutTheOptionTheOfferIsUnchanged) {
  sdp::SessionDescription offer = client::build_publish_offer(publish_params(std::nullopt));
  ASSERT_EQ(offer.media.size(), 2u);
  EXPECT_EQ(sdp::write_sdp(offer).find("m=application"), std::string::npos);
  EXPECT_EQ(offer.groups[0].mids, (std::vector<std::string>{"0", "1"}));
}

TEST(ClientSdpDataChannel, ServerWithoutDataChannelsRejectsIt) {
  client::ClientDataChannelOptions ours;
  sdp::PublishResult result = negotiate(client::build_publish_offer(publish_params(ours)), std::nullopt);
  EXPECT_EQ(result.tracks.size(), 2u);  // media goes on
  EXPECT_FALSE(result.data_channel.has_value());
  EXPECT_FALSE(client::data_channel_of(reparsed(result.answer), ours.max_message_size).has_value());
  // The endpoint still comes from the BUNDLE tag.
  EXPECT_TRUE(std::holds_alternative<client::ServerEndpoint>(client::server_endpoint_of(result.answer)));
}

TEST(ClientSdpDataChannel, DataChannelOnlyOffer) {
  client::PublishOfferParams params = publish_params(client::ClientDataChannelOptions{});
  params.audio = false;
  params.video = false;
  sdp::PublishResult result = negotiate(client::build_publish_offer(params), sdp::DataChannelOptions{});
  EXPECT_TRUE(result.tracks.empty());
  ASSERT_TRUE(result.data_channel.has_value());
  ASSERT_EQ(result.answer.groups.size(), 1u);
  EXPECT_EQ(result.answer.groups[0].mids, (std::vector<std::string>{client::kDataMid}));
  auto endpoint = client::server_endpoint_of(reparsed(result.answer));
  ASSERT_TRUE(std::holds_alternative<client::ServerEndpoint>(endpoint)) << std::get<std::string>(endpoint);
  EXPECT_EQ(std::get<client::ServerEndpoint>(endpoint).setup, "passive");
  auto server = client::data_channel_of(result.answer, client::ClientDataChannelOptions{}.max_message_size);
  ASSERT_TRUE(server.has_value());
  EXPECT_EQ(server->sctp_port, 5000);
  EXPECT_EQ(server->max_message_size, 262144u);
}

TEST(ClientSdpDataChannel, SubscribeAnswerAcceptsTheDataChannel) {
  sdp::SessionDescription offer =
      reparsed(sdp::build_subscribe_offer(slots_with_data_channel(), kServer, 7, 1));
  client::ClientDataChannelOptions ours{5003, 131072};
  auto built = client::build_subscribe_answer(offer, kClient, 9, 1, ours);
  ASSERT_TRUE(std::holds_alternative<client::SubscribeAnswer>(built)) << std::get<std::string>(built);
  const auto& answer = std::get<client::SubscribeAnswer>(built);
  ASSERT_EQ(answer.media.size(), 3u);
  EXPECT_TRUE(answer.media[0].active);
  EXPECT_TRUE(answer.media[1].active);
  EXPECT_EQ(answer.media[1].kind, sdp::MediaKind::kApplication);
  EXPECT_TRUE(answer.media[2].active);
  auto server = client::data_channel_of(offer, ours.max_message_size);  // what the client's association needs
  ASSERT_TRUE(server.has_value());
  EXPECT_EQ(server->mid, "1");
  EXPECT_EQ(server->sctp_port, 5001);
  EXPECT_EQ(server->max_message_size, 1048576u);

  std::string text = sdp::write_sdp(answer.answer);
  EXPECT_NE(text.find("a=group:BUNDLE 0 1 2\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=sctp-port:5003\r\n"), std::string::npos) << text;

  auto applied = sdp::apply_subscribe_answer(offer, reparsed(answer.answer));
  ASSERT_TRUE(std::holds_alternative<sdp::SubscribeAnswerResult>(applied))
      << std::get<sdp::SdpError>(applied).to_string() << "\n"
      << text;
  const auto& result = std::get<sdp::SubscribeAnswerResult>(applied);
  EXPECT_TRUE(result.tracks[0].receivable);
  EXPECT_TRUE(result.tracks[2].receivable);
  ASSERT_TRUE(result.tracks[1].data_channel.has_value());
  EXPECT_EQ(result.tracks[1].data_channel->sctp_port, 5003);
  EXPECT_EQ(result.tracks[1].data_channel->max_message_size, 131072u);
}

TEST(ClientSdpDataChannel, SubscribeAnswerRejectsTheDataChannelWhenOff) {
  sdp::SessionDescription offer =
      reparsed(sdp::build_subscribe_offer(slots_with_data_channel(), kServer, 7, 1));
  auto built = client::build_subscribe_answer(offer, kClient, 9, 1);
  ASSERT_TRUE(std::holds_alternative<client::SubscribeAnswer>(built)) << std::get<std::string>(built);
  const auto& answer = std::get<client::SubscribeAnswer>(built);
  EXPECT_FALSE(answer.media[1].active);
  EXPECT_FALSE(client::data_channel_of(answer.answer, 262144).has_value());
  std::string text = sdp::write_sdp(answer.answer);
  EXPECT_NE(text.find("m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=group:BUNDLE 0 2\r\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("a=sctp-port"), std::string::npos) << text;

  auto applied = sdp::apply_subscribe_answer(offer, reparsed(answer.answer));
  ASSERT_TRUE(std::holds_alternative<sdp::SubscribeAnswerResult>(applied))
      << std::get<sdp::SdpError>(applied).to_string() << "\n"
      << text;
  const auto& result = std::get<sdp::SubscribeAnswerResult>(applied);
  EXPECT_FALSE(result.tracks[1].accepted);
  EXPECT_FALSE(result.tracks[1].data_channel.has_value());
  EXPECT_TRUE(result.tracks[0].receivable);
  EXPECT_TRUE(result.tracks[2].receivable);
}

TEST(ClientSdpDataChannel, OnlyTheFirstUsableDataChannelSectionIsAccepted) {
  std::vector<sdp::SubscribeSlot> slots = slots_with_data_channel();
  sdp::SubscribeSlot second = slots[1];
  second.mid = "3";
  slots.push_back(second);
  sdp::SessionDescription offer = reparsed(sdp::build_subscribe_offer(slots, kServer, 7, 1));
  offer.media[1].protocol = "DTLS/SCTP";  // legacy: refused, so the next one is taken
  offer.media[1].formats = {"5000"};
  auto built = client::build_subscribe_answer(offer, kClient, 9, 1, client::ClientDataChannelOptions{});
  ASSERT_TRUE(std::holds_alternative<client::SubscribeAnswer>(built)) << std::get<std::string>(built);
  const auto& answer = std::get<client::SubscribeAnswer>(built);
  EXPECT_EQ(answer.answer.media[1].port, 0);
  EXPECT_NE(answer.answer.media[3].port, 0);
  EXPECT_TRUE(answer.media[3].active);

  offer.media[1] = offer.media[3];
  offer.media[1].mid = "1";
  built = client::build_subscribe_answer(offer, kClient, 9, 1, client::ClientDataChannelOptions{});
  const auto& both = std::get<client::SubscribeAnswer>(built);
  EXPECT_NE(both.answer.media[1].port, 0);
  EXPECT_EQ(both.answer.media[3].port, 0);  // one association per connection
  EXPECT_TRUE(both.media[1].active);
  EXPECT_FALSE(both.media[3].active);
  EXPECT_EQ(both.answer.groups[0].mids, (std::vector<std::string>{"0", "1", "2"}));
}

}  // namespace
