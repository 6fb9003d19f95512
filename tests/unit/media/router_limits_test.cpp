// Router protections against a subscriber's feedback (audit rows 6, 8 and 22) and RTX padding
// probes: NACK answers de-duplicated per packet and subscriber and bounded by a per-subscriber
// budget, keyframe requests throttled per subscriber and per track at the configured intervals,
// the retransmission buffer allocated only once media flows, padding-only RTX counted apart from
// malformed packets. Every transport is a FakeMediaSink, as in router_test.cpp.
#include <gtest/gtest.h>

#include "rtp/rtcp_builder.h"
#include "sfu/media/router.h"
#include "tests/unit/media/media_test_support.h"

using namespace sfu;
using namespace sfu::test;

namespace {

constexpr uint32_t kVideoSsrc = 0x1111, kVideoRtxSsrc = 0x1112;
constexpr uint32_t kBobSsrc = 0xB0B, kBobRtxSsrc = 0xB0C, kCarolSsrc = 0xCA401, kCarolRtxSsrc = 0xCA402;

// Alice publishes video (with RTX); Bob and Carol receive it with RTX.
struct LimitsFixture {
  explicit LimitsFixture(RouterOptions options = {}) : router(drops, counters, options) {
    alice.feedback_ssrc = 0xA11CE;
  }

  DropCounters drops;
  RouterCounters counters;
  Router router;
  Participant alice, bob, carol;
  FakeMediaSink alice_publish, bob_subscribe, carol_subscribe;
  PublishedTrack& video = add_track(alice, alice_publish, sdp::MediaKind::kVideo, kVideoSsrc, kVideoRtxSsrc);
  DownTrack& to_bob = add_down_track(video, bob, bob_subscribe, kBobSsrc, kBobRtxSsrc);
  DownTrack& to_carol = add_down_track(video, carol, carol_subscribe, kCarolSsrc, kCarolRtxSsrc);

  void publish(Bytes bytes, uint64_t now_ms) {
    router.on_publisher_rtp(alice, bytes.data(), bytes.size(), now_ms);
  }
  // A keyframe at publisher seq `first`, then `count - 1` delta packets, all at `now_ms`.
  void publish_frames(uint16_t first, int count, uint64_t now_ms) {
    publish(make_rtp(kVideoSsrc, kVp8Pt, first, 9000, kVp8Keyframe), now_ms);
    for (int i = 1; i < count; ++i)
      publish(make_rtp(kVideoSsrc, kVp8Pt, static_cast<uint16_t>(first + i), 12000, kVp8Delta), now_ms);
  }
  void rtcp_from(Participant& subscriber, Bytes bytes, uint64_t now_ms) {
    router.on_subscriber_rtcp(subscriber, bytes.data(), bytes.size(), now_ms);
  }
  size_t plis_to_alice() const { return alice_publish.rtcp_of(rtp::RtcpMessageKind::kPli).size(); }
};

// The subscriber's sequence number of publisher packet `source_seq`.
uint16_t subscriber_seq(const DownTrack& down, uint16_t source_seq) {
  return static_cast<uint16_t>(source_seq + (0 - down.to_source_sequence(0)));
}

// A generic NACK (RFC 4585 6.2.1) with `items` copies of the same FCI entry (PID, BLP), written
// by hand: the builder packs distinct numbers and would never repeat an item.
Bytes repeated_nack(uint32_t media_ssrc, uint16_t pid, uint16_t blp, size_t items) {
  Bytes bytes(12 + 4 * items);
  bytes[0] = 0x81;  // V=2, FMT=1
  bytes[1] = 205;   // RTPFB
  store_be16(bytes.data() + 2, static_cast<uint16_t>(bytes.size() / 4 - 1));
  store_be32(bytes.data() + 4, 0x5E11DE4);
  store_be32(bytes.data() + 8, media_ssrc);
  for (size_t i = 0; i < items; ++i) {
    store_be16(bytes.data() + 12 + 4 * i, pid);
    store_be16(bytes.data() + 14 + 4 * i, blp);
  }
  return bytes;
}

Bytes nack_of(uint32_t media_ssrc, const std::vector<uint16_t>& lost) {
  Bytes bytes(1500);
  bytes.resize(rtp::build_generic_nack(0x5E11DE4, media_ssrc, lost, bytes));
  return bytes;
}

Bytes pli_for(uint32_t media_ssrc) {
  Bytes bytes(64);
  bytes.resize(rtp::build_pli(0x5E11DE4, media_ssrc, bytes));
  return bytes;
}

}  // namespace

TEST(RouterLimits, OptionsComeFromTheMediaConfigWithTheSameDefaults) {
  RouterOptions defaults = RouterOptions::from_config(config::default_config().media);
  EXPECT_EQ(defaults.retransmissions_per_second, RouterOptions{}.retransmissions_per_second);
  EXPECT_EQ(defaults.subscriber_keyframe_interval_ms, RouterOptions{}.subscriber_keyframe_interval_ms);
  EXPECT_EQ(defaults.publisher_keyframe_interval_ms, RouterOptions{}.publisher_keyframe_interval_ms);
  config::MediaConfig media;
  media.retransmissions_per_second = 7;
  media.keyframe_request_interval_ms = 8;
  media.publisher_keyframe_interval_ms = 9;
  RouterOptions options = RouterOptions::from_config(media);
  EXPECT_EQ(options.retransmissions_per_second, 7u);
  EXPECT_EQ(options.subscriber_keyframe_interval_ms, 8u);
  EXPECT_EQ(options.publisher_keyframe_interval_ms, 9u);
}

// ---- NACK amplification (audit row 6) ----

TEST(RouterLimits, OneNackRepeatingAnItem300TimesResendsEachPacketOnce) {
  LimitsFixture f;
  f.publish_frames(1000, 20, 1000);
  f.bob_subscribe.clear();
  // ~1.2 KB of SRTCP naming 17 packets 300 times over: 5,100 requests.
  f.rtcp_from(f.bob, repeated_nack(kBobSsrc, subscriber_seq(f.to_bob, 1000), 0xFFFF, 300), 1050);

  EXPECT_EQ(f.bob_subscribe.rtp.size(), 17u) << "each NACKed packet once, not once per item";
  EXPECT_EQ(f.counters.retransmissions_sent.load(), 17u);
  EXPECT_EQ(f.counters.retransmissions_duplicate.load(), 300u * 17u - 17u);
  EXPECT_EQ(f.counters.retransmissions_over_budget.load(), 0u);
  EXPECT_EQ(f.counters.nacks_received.load(), 1u);
}

TEST(RouterLimits, ANackRepeatedWithinTheResendIntervalIsAnsweredOnce) {
  LimitsFixture f;
  f.publish_frames(1000, 5, 1000);
  f.bob_subscribe.clear();
  Bytes nack = nack_of(kBobSsrc, {subscriber_seq(f.to_bob, 1002)});
  const uint64_t t = 1100, interval = RouterOptions{}.retransmission_min_interval_ms;
  f.rtcp_from(f.bob, nack, t);
  f.rtcp_from(f.bob, nack, t + 50);
  f.rtcp_from(f.bob, nack, t + interval - 1);
  EXPECT_EQ(f.bob_subscribe.rtp.size(), 1u);
  EXPECT_EQ(f.counters.retransmissions_duplicate.load(), 2u);
  f.rtcp_from(f.bob, nack, t + interval);
  EXPECT_EQ(f.bob_subscribe.rtp.size(), 2u) << "a retry one interval later is a new loss";
  EXPECT_EQ(f.counters.retransmissions_sent.load(), 2u);
}

TEST(RouterLimits, EachSubscriberGetsItsOwnRepairOfTheSamePacket) {
  LimitsFixture f;
  f.publish_frames(1000, 5, 1000);
  f.bob_subscribe.clear();
  f.carol_subscribe.clear();
  f.rtcp_from(f.bob, nack_of(kBobSsrc, {subscriber_seq(f.to_bob, 1003)}), 1100);
  f.rtcp_from(f.carol, nack_of(kCarolSsrc, {subscriber_seq(f.to_carol, 1003)}), 1101);
  EXPECT_EQ(f.bob_subscribe.rtp.size(), 1u);
  EXPECT_EQ(f.carol_subscribe.rtp.size(), 1u) << "Bob's repair is no reason to refuse Carol hers";
  EXPECT_EQ(f.counters.retransmissions_duplicate.load(), 0u);
}

TEST(RouterLimits, RetransmissionsBeyondTheSubscribersBudgetAreRefused) {
  RouterOptions options;
  options.retransmissions_per_second = 20;
  LimitsFixture f(options);
  f.publish_frames(1000, 40, 1000);
  f.bob_subscribe.clear();
  f.carol_subscribe.clear();
  std::vector<uint16_t> lost;
  for (uint16_t seq = 1000; seq < 1030; ++seq) lost.push_back(subscriber_seq(f.to_bob, seq));
  f.rtcp_from(f.bob, nack_of(kBobSsrc, lost), 1100);
  EXPECT_EQ(f.bob_subscribe.rtp.size(), 20u) << "a full bucket holds one second's budget";
  EXPECT_EQ(f.counters.retransmissions_over_budget.load(), 10u);

  // 50 ms refill one: the twenty just resent are duplicates, the ten refused were not marked as
  // resent, and one of them now fits the budget.
  f.rtcp_from(f.bob, nack_of(kBobSsrc, lost), 1150);
  EXPECT_EQ(f.bob_subscribe.rtp.size(), 21u);
  EXPECT_EQ(f.counters.retransmissions_duplicate.load(), 20u);
  EXPECT_EQ(f.counters.retransmissions_over_budget.load(), 10u + 9u);
  EXPECT_EQ(f.counters.retransmissions_sent.load(), 21u);

  // Carol has a budget of her own.
  f.rtcp_from(f.carol, nack_of(kCarolSsrc, {subscriber_seq(f.to_carol, 1000)}), 1150);
  EXPECT_EQ(f.carol_subscribe.rtp.size(), 1u);
}

TEST(RouterLimits, ANackForAPacketNeverBufferedOrNotSendableIsCounted) {
  LimitsFixture f;
  f.publish_frames(1000, 5, 1000);
  f.rtcp_from(f.bob, nack_of(kBobSsrc, {subscriber_seq(f.to_bob, 1200)}), 1100);
  EXPECT_EQ(f.counters.retransmissions_missed.load(), 1u);
  // Dave's down-track never started (no keyframe since he came): it has nothing to repair.
  Participant dave;
  FakeMediaSink dave_subscribe;
  DownTrack& to_dave = add_down_track(f.video, dave, dave_subscribe, 0xDA7E, 0xDA7F);
  f.rtcp_from(dave, nack_of(0xDA7E, {subscriber_seq(to_dave, 1001)}), 1100);
  EXPECT_TRUE(dave_subscribe.rtp.empty());
  EXPECT_EQ(f.counters.retransmissions_unsendable.load(), 1u);
}

// ---- Retransmission buffer allocated with the first media (audit row 8) ----

TEST(RouterLimits, NacksWorkOnceMediaStartsOnATrackPublishedSilent) {
  LimitsFixture f;
  EXPECT_EQ(f.video.retransmission_capacity(), 0u) << "published, no media yet: no buffer";
  f.rtcp_from(f.bob, nack_of(kBobSsrc, {1}), 500);
  EXPECT_EQ(f.counters.retransmissions_missed.load(), 1u);

  f.publish_frames(1000, 3, 1000);
  EXPECT_GT(f.video.retransmission_capacity(), 0u);
  f.bob_subscribe.clear();
  f.rtcp_from(f.bob, nack_of(kBobSsrc, {subscriber_seq(f.to_bob, 1001)}), 1050);
  ASSERT_EQ(f.bob_subscribe.rtp.size(), 1u);
  rtp::RtpPacket rtx = view(f.bob_subscribe.rtp[0]);
  EXPECT_EQ(rtx.ssrc(), kBobRtxSsrc);
  EXPECT_EQ(load_be16(rtx.payload().data()), subscriber_seq(f.to_bob, 1001));
}

// ---- Keyframe requests (audit row 22) ----

TEST(RouterLimits, OneSubscribersPlisReachThePublisherAtMostOncePerInterval) {
  LimitsFixture f;  // defaults: 1000 ms per subscriber, 500 ms per track
  f.publish_frames(1, 1, 1000);
  f.alice_publish.clear();
  for (uint64_t t = 2000; t < 5000; t += 100) {
    f.rtcp_from(f.bob, pli_for(kBobSsrc), t);
    f.router.on_fast_timer(f.alice, t);
  }
  f.router.on_fast_timer(f.alice, 6000);
  EXPECT_EQ(f.plis_to_alice(), 3u) << "at 2000, 3000 and 4000";
  EXPECT_EQ(f.counters.plis_received.load(), 30u);
  EXPECT_EQ(f.counters.keyframe_requests_throttled.load(), 27u);
}

TEST(RouterLimits, TheTracksKeyframeIntervalIsTheConfiguredOne) {
  RouterOptions options;
  options.subscriber_keyframe_interval_ms = 0;
  options.publisher_keyframe_interval_ms = 200;
  LimitsFixture f(options);
  f.publish_frames(1, 1, 1000);
  f.alice_publish.clear();
  for (uint64_t t = 2000; t < 3000; t += 100) {
    f.rtcp_from(f.bob, pli_for(kBobSsrc), t);
    f.router.on_fast_timer(f.alice, t);
  }
  EXPECT_EQ(f.plis_to_alice(), 5u) << "at 2000, 2200, 2400, 2600 and 2800";
  EXPECT_EQ(f.counters.keyframe_requests_throttled.load(), 0u);
}

TEST(RouterLimits, FirEntriesRepeatingOneStreamAreThrottledToo) {
  LimitsFixture f;
  f.publish_frames(1, 1, 1000);
  f.alice_publish.clear();
  std::vector<rtp::FirEntry> entries(10, rtp::FirEntry{kBobSsrc, 1});
  Bytes fir(256);
  fir.resize(rtp::build_fir(0x5E11DE4, entries, fir));
  f.rtcp_from(f.bob, fir, 2000);
  f.router.on_fast_timer(f.alice, 3000);
  EXPECT_EQ(f.plis_to_alice(), 1u);
  EXPECT_EQ(f.counters.firs_received.load(), 10u);
  EXPECT_EQ(f.counters.keyframe_requests_throttled.load(), 9u);
}

TEST(RouterLimits, OtherSubscribersRequestsJoinThePendingOne) {
  LimitsFixture f;
  Participant dave;
  FakeMediaSink dave_subscribe;
  add_down_track(f.video, dave, dave_subscribe, 0xDA7E);
  f.publish_frames(1, 1, 1000);
  f.alice_publish.clear();
  f.rtcp_from(f.bob, pli_for(kBobSsrc), 2000);      // sent at once
  f.rtcp_from(f.carol, pli_for(kCarolSsrc), 2100);  // within the track's interval: pending
  f.rtcp_from(dave, pli_for(0xDA7E), 2150);         // joins Carol's pending request
  f.rtcp_from(f.bob, pli_for(kBobSsrc), 2200);      // within Bob's own interval: throttled
  EXPECT_EQ(f.plis_to_alice(), 1u);
  f.router.on_fast_timer(f.alice, 2500);
  EXPECT_EQ(f.plis_to_alice(), 2u) << "Carol's and Dave's request, after the track's interval";
  EXPECT_EQ(f.counters.keyframe_requests_throttled.load(), 1u);
  EXPECT_EQ(f.counters.keyframe_requests_collapsed.load(), 1u);
}

// ---- RTX padding probes ----

TEST(RouterLimits, RtxPaddingProbesAreCountedAsPaddingAndNeverForwarded) {
  LimitsFixture f;
  f.publish_frames(1000, 2, 1000);
  f.bob_subscribe.clear();
  // Chromium's bandwidth probe on the RTX stream: padding bit, no OSN, 224 bytes of padding.
  rtp::RtpHeaderFields fields;
  fields.payload_type = kVp8RtxPt;
  fields.sequence_number = 7;
  fields.timestamp = 12000;
  fields.ssrc = kVideoRtxSsrc;
  Bytes probe(1500);
  probe.resize(rtp::build_rtp_packet(fields, {}, {}, 224, probe));
  ASSERT_EQ(probe.size(), 12u + 224u);
  for (int i = 0; i < 3; ++i) f.publish(probe, 1010);

  EXPECT_EQ(f.drops.get(DropReason::RtpMalformed), 0u) << "a probe is not a malformed packet";
  EXPECT_EQ(f.drops.get(DropReason::RtpPadding), 3u);
  EXPECT_TRUE(f.bob_subscribe.rtp.empty());
  EXPECT_EQ(f.video.counters().rtx_packets, 0u);
  EXPECT_EQ(f.video.counters().packets, 2u);

  // An RTX packet too short for its OSN and without padding is still malformed.
  Bytes truncated = make_rtp(kVideoRtxSsrc, kVp8RtxPt, 8, 12000, {0x01});
  f.publish(truncated, 1020);
  EXPECT_EQ(f.drops.get(DropReason::RtpMalformed), 1u);
}
