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

TEST(TrackSpec, RidSimulcastForwardsTheFirstAnnouncedLayerAndLearnsItsSsrcs) {
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

}  // namespace
}  // namespace sfu
