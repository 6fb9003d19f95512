// What a negotiated publish m-section becomes on the media path (to_track_spec): for rid
// simulcast, the rid of the one layer forwarded and the extension ids its streams are learned by.
#include <gtest/gtest.h>

#include "sfu/media/subscription_slots.h"
#include "tests/unit/sdp/sdp_test_support.h"

namespace sfu {
namespace {

sdp::PublishResult negotiated(const std::string& file) {
  auto result =
      sdp::negotiate_publish(sdp::test::parse_ok(sdp::test::load(file)), sdp::test::server_transport());
  EXPECT_TRUE(std::holds_alternative<sdp::PublishResult>(result));
  return std::holds_alternative<sdp::PublishResult>(result) ? std::get<sdp::PublishResult>(result)
                                                            : sdp::PublishResult{};
}

TEST(TrackSpec, RidSimulcastHasEveryLayerInTheAnnouncedOrderAndLearnsTheirSsrcs) {
  sdp::PublishResult result = negotiated("chromium_simulcast_offer.sdp");
  ASSERT_EQ(result.tracks.size(), 2u);
  ASSERT_EQ(result.tracks[0].kind, sdp::MediaKind::kVideo);
  PublishedTrackSpec spec = to_track_spec(result.tracks[0]);
  EXPECT_EQ(spec.rid, "q") << "a=simulcast:send q;h;f";
  EXPECT_EQ(spec.ssrc, 0u);
  EXPECT_EQ(spec.rtx_ssrc, 0u);
  EXPECT_EQ(spec.extensions.mid, 9);
  EXPECT_EQ(spec.extensions.rid, 10);
  EXPECT_EQ(spec.extensions.repaired_rid, 11);
  ASSERT_EQ(spec.layers.size(), 3u);
  EXPECT_EQ(spec.layers[0], (LayerSpec{"q", 0, 0}));
  EXPECT_EQ(spec.layers[2], (LayerSpec{"f", 0, 0}));
}

TEST(TrackSpec, SsrcSimulcastHasALayerPerSimSsrcWithItsFidPartner) {
  auto offer = sdp::test::parse_ok(sdp::test::load("chromium_publish_offer.sdp"));
  sdp::MediaSection& v = offer.media[1];
  v.ssrc_groups = {{"SIM", {10, 20, 30}}, {"FID", {10, 11}}, {"FID", {20, 21}}, {"FID", {30, 31}}};
  v.ssrcs.clear();
  for (uint32_t s : {10, 11, 20, 21, 30, 31}) v.ssrcs.push_back({s, "cn", std::nullopt});
  auto result = sdp::negotiate_publish(offer, sdp::test::server_transport());
  ASSERT_TRUE(std::holds_alternative<sdp::PublishResult>(result));
  PublishedTrackSpec spec = to_track_spec(std::get<sdp::PublishResult>(result).tracks[1]);
  ASSERT_EQ(spec.layers.size(), 3u);
  EXPECT_EQ(spec.layers[1], (LayerSpec{"", 20, 21}));
  EXPECT_EQ(spec.ssrc, 10u);
  EXPECT_EQ(spec.rtx_ssrc, 11u);
  PublishedTrackSpec changed = spec;
  changed.layers[2].ssrc = 33;
  EXPECT_FALSE(describes_same_streams(spec, changed)) << "a layer's SSRC changed";
}

TEST(TrackSpec, AnnouncedSsrcsNeedNoRid) {
  sdp::PublishResult result = negotiated("chromium_publish_offer.sdp");
  ASSERT_EQ(result.tracks.size(), 2u);
  for (const auto& track : result.tracks) {
    PublishedTrackSpec spec = to_track_spec(track);
    EXPECT_TRUE(spec.rid.empty());
    EXPECT_NE(spec.ssrc, 0u);
  }
}

TEST(TrackSpec, AReOfferDescribesTheSameStreamsUnlessSsrcsCodecsOrIdsChange) {
  PublishedTrackSpec simulcast = to_track_spec(negotiated("chromium_simulcast_offer.sdp").tracks[0]);
  PublishedTrackSpec learned = simulcast;
  learned.ssrc = 0x5101;  // bound from the first packet of rid q
  learned.rtx_ssrc = 0x5201;
  EXPECT_TRUE(describes_same_streams(learned, simulcast)) << "learned SSRCs stay learned";

  PublishedTrackSpec camera = to_track_spec(negotiated("chromium_publish_offer.sdp").tracks[1]);
  EXPECT_TRUE(describes_same_streams(camera, camera));
  PublishedTrackSpec changed = camera;
  changed.ssrc += 1;
  EXPECT_FALSE(describes_same_streams(camera, changed));
  changed = camera;
  changed.rtx_ssrc += 1;
  EXPECT_FALSE(describes_same_streams(camera, changed));
  changed = camera;
  changed.codecs.front().payload_type = 125;
  EXPECT_FALSE(describes_same_streams(camera, changed));
  changed = camera;
  changed.codecs.pop_back();
  EXPECT_FALSE(describes_same_streams(camera, changed));
  changed = camera;
  changed.extensions.abs_send_time = 14;
  EXPECT_FALSE(describes_same_streams(camera, changed));
  changed = simulcast;
  changed.rid = "h";
  EXPECT_FALSE(describes_same_streams(simulcast, changed));
}

}  // namespace
}  // namespace sfu
