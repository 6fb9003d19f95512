// What the subscribe negotiation gives the server's bandwidth estimate (subscription_slots.h): the
// transport-cc extension and rtcp-fb in every offered m-section and codec, whatever the publisher
// negotiated, and which id a subscriber's answer accepted.
#include <gtest/gtest.h>

#include <algorithm>

#include "sfu/media/subscription_slots.h"
#include "sfu/sdp/codec_catalog.h"

namespace sfu {
namespace {

bool has_transport_cc_feedback(const sdp::Codec& codec) {
  return std::find(codec.rtcp_fb.begin(), codec.rtcp_fb.end(), sdp::RtcpFeedback{"transport-cc", ""}) !=
         codec.rtcp_fb.end();
}

sdp::SubscribedTrackState receivable_with(std::vector<sdp::Extmap> extensions) {
  sdp::SubscribedTrackState state;
  state.receivable = true;
  state.extensions = std::move(extensions);
  return state;
}

TEST(SubscriberBandwidthNegotiation, OffersTransportCcInEveryMediaSection) {
  for (sdp::MediaKind kind : {sdp::MediaKind::kAudio, sdp::MediaKind::kVideo}) {
    auto extensions = subscriber_extensions(kind);
    auto it = std::find_if(extensions.begin(), extensions.end(),
                           [](const sdp::Extmap& e) { return e.uri == sdp::kExtTransportCc; });
    ASSERT_NE(it, extensions.end());
    EXPECT_EQ(it->id, kSubscriberExtensionIds.transport_cc);
  }
}

TEST(SubscriberBandwidthNegotiation, EveryOfferedCodecAsksForTransportCcFeedbackOnce) {
  PublishedTrackSpec spec;
  spec.kind = sdp::MediaKind::kVideo;
  sdp::Codec vp8;  // a publisher that negotiated only NACK and PLI (Firefox without transport-cc)
  vp8.payload_type = 96;
  vp8.name = "VP8";
  vp8.clock_rate = 90000;
  vp8.rtcp_fb = {{"nack", ""}, {"nack", "pli"}};
  sdp::Codec h264 = vp8;  // one that did
  h264.payload_type = 102;
  h264.name = "H264";
  h264.rtcp_fb.push_back({"transport-cc", ""});
  spec.codecs = {vp8, h264};
  SubscriptionSlot slot;
  PayloadTypeTable used;
  offer_codecs(slot, used, spec);
  ASSERT_EQ(slot.codecs.size(), 2u);
  for (const auto& offered : slot.codecs) {
    EXPECT_TRUE(has_transport_cc_feedback(offered.codec)) << offered.codec.name;
    EXPECT_EQ(std::count(offered.codec.rtcp_fb.begin(), offered.codec.rtcp_fb.end(),
                         sdp::RtcpFeedback{"transport-cc", ""}),
              1);
  }
  EXPECT_EQ(slot.codecs[0].codec.rtcp_fb.front(), (sdp::RtcpFeedback{"nack", ""}));  // the rest kept
}

TEST(SubscriberBandwidthNegotiation, TheAnswerSaysWhichIdToStamp) {
  const sdp::Extmap transport_cc{
      kSubscriberExtensionIds.transport_cc, std::nullopt, std::string(sdp::kExtTransportCc), {}};
  const sdp::Extmap abs{
      kSubscriberExtensionIds.abs_send_time, std::nullopt, std::string(sdp::kExtAbsSendTime), {}};
  EXPECT_EQ(accepted_transport_cc({}), std::nullopt);  // nothing receivable: nothing to estimate
  sdp::SubscribedTrackState inactive = receivable_with({transport_cc});
  inactive.receivable = false;
  EXPECT_EQ(accepted_transport_cc({inactive}), std::nullopt);
  EXPECT_EQ(accepted_transport_cc({receivable_with({abs})}), 0);  // REMB only
  EXPECT_EQ(accepted_transport_cc({receivable_with({abs}), receivable_with({abs, transport_cc})}),
            kSubscriberExtensionIds.transport_cc);
}

}  // namespace
}  // namespace sfu
