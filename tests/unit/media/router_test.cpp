// Router, through its seam: participants, tracks and down-tracks built directly, every transport a
// FakeMediaSink that records what the router sends. No sockets, no DTLS, no event loop.
#include "sfu/media/router.h"

#include <gtest/gtest.h>

#include "rtp/rtcp_builder.h"
#include "tests/unit/media/media_test_support.h"

using namespace sfu;
using namespace sfu::test;

namespace {

constexpr uint32_t kVideoSsrc = 0x1111, kVideoRtxSsrc = 0x1112, kAudioSsrc = 0x1113;

// Alice publishes; Bob and Carol subscribe. Each has one sink per direction.
struct RouterFixture {
  DropCounters drops;
  RouterCounters counters;
  Router router{drops, counters};
  Participant alice, bob, carol;
  FakeMediaSink alice_publish, bob_subscribe, carol_subscribe;
  PublishedTrack& video = add_track(alice, alice_publish, sdp::MediaKind::kVideo, kVideoSsrc, kVideoRtxSsrc);
  PublishedTrack& audio = add_track(alice, alice_publish, sdp::MediaKind::kAudio, kAudioSsrc);

  RouterFixture() { alice.feedback_ssrc = 0xA11CE; }

  void publish(Bytes bytes, uint64_t now_ms) {
    router.on_publisher_rtp(alice, bytes.data(), bytes.size(), now_ms);
  }
  void subscriber_rtcp(Participant& subscriber, Bytes bytes, uint64_t now_ms) {
    router.on_subscriber_rtcp(subscriber, bytes.data(), bytes.size(), now_ms);
  }
  size_t plis_to_alice() const { return alice_publish.rtcp_of(rtp::RtcpMessageKind::kPli).size(); }
};

Bytes pli(uint32_t sender, uint32_t media) {
  Bytes bytes(64);
  bytes.resize(rtp::build_pli(sender, media, bytes));
  return bytes;
}

}  // namespace

TEST(Router, FansPublisherRtpOutRewrittenToActiveReadyDownTracksOnly) {
  RouterFixture f;
  DownTrack& to_bob = add_down_track(f.audio, f.bob, f.bob_subscribe, 0xB0B);
  DownTrack& to_carol = add_down_track(f.audio, f.carol, f.carol_subscribe, 0xCA401);
  Participant dave;
  FakeMediaSink dave_subscribe;
  dave_subscribe.set_ready(false);  // still in its DTLS handshake
  add_down_track(f.audio, dave, dave_subscribe, 0xDA7E);
  to_carol.set_active(false);  // Carol's answer rejected the track

  f.publish(make_rtp(kAudioSsrc, kOpusPt, 500, 48000, {1, 2, 3}), 1000);
  f.publish(make_rtp(kAudioSsrc, kOpusPt, 501, 48960, {4, 5, 6}), 1020);

  ASSERT_EQ(f.bob_subscribe.rtp.size(), 2u);
  EXPECT_TRUE(f.carol_subscribe.rtp.empty());
  EXPECT_TRUE(dave_subscribe.rtp.empty());
  rtp::RtpPacket first = view(f.bob_subscribe.rtp[0]);
  rtp::RtpPacket second = view(f.bob_subscribe.rtp[1]);
  EXPECT_EQ(first.ssrc(), 0xB0Bu);
  EXPECT_EQ(first.payload_type(), kSubscriberOpusPt);
  EXPECT_EQ(to_bob.to_source_sequence(first.sequence_number()), 500);
  EXPECT_EQ(first.timestamp(), to_bob.to_subscriber_timestamp(48000));
  EXPECT_EQ(static_cast<uint16_t>(second.sequence_number() - first.sequence_number()), 1);
  EXPECT_EQ(second.timestamp() - first.timestamp(), 960u);
  EXPECT_EQ(Bytes(second.payload().begin(), second.payload().end()), (Bytes{4, 5, 6}));
  EXPECT_EQ(f.counters.rtp_forwarded.load(), 2u);
  EXPECT_EQ(f.audio.counters().packets, 2u);
}

TEST(Router, DropsRtpOfUnknownStreams) {
  RouterFixture f;
  f.publish(make_rtp(0xBAD, kOpusPt, 1, 1, {1}), 1000);
  EXPECT_EQ(f.drops.get(DropReason::NoRoute), 1u);
  Bytes garbage = {0x80, 0x60};
  f.publish(garbage, 1000);
  EXPECT_EQ(f.drops.get(DropReason::RtpMalformed), 1u);
}

TEST(Router, VideoDownTrackWaitsForAKeyframeAndAsksThePublisherForOne) {
  RouterFixture f;
  DownTrack& to_bob = add_down_track(f.video, f.bob, f.bob_subscribe, 0xB0B);
  f.publish(make_rtp(kVideoSsrc, kVp8Pt, 10, 3000, kVp8Delta), 1000);
  EXPECT_TRUE(f.bob_subscribe.rtp.empty()) << "a delta frame without its reference";
  auto plis = f.alice_publish.rtcp_of(rtp::RtcpMessageKind::kPli);
  ASSERT_EQ(plis.size(), 1u);
  auto request = rtp::parse_pli(plis[0]);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->media_ssrc, kVideoSsrc);
  EXPECT_EQ(request->sender_ssrc, 0xA11CEu);
  EXPECT_EQ(f.counters.plis_sent.load(), 1u);

  f.publish(make_rtp(kVideoSsrc, kVp8Pt, 11, 6000, kVp8Keyframe), 1040);
  ASSERT_EQ(f.bob_subscribe.rtp.size(), 1u);
  EXPECT_TRUE(to_bob.started());
  EXPECT_EQ(view(f.bob_subscribe.rtp[0]).payload_type(), kSubscriberVp8Pt);
  EXPECT_EQ(f.plis_to_alice(), 1u) << "the keyframe came: no further request";
}

TEST(Router, UnwrapsRtxFromThePublisher) {
  RouterFixture f;
  DownTrack& to_bob = add_down_track(f.video, f.bob, f.bob_subscribe, 0xB0B);
  Bytes original = make_rtp(kVideoSsrc, kVp8Pt, 77, 9000, kVp8Keyframe);
  Bytes rtx(1500);
  rtx.resize(rtp::build_rtx(view(original), kVp8RtxPt, kVideoRtxSsrc, 5, rtx));
  f.publish(rtx, 1000);

  ASSERT_EQ(f.bob_subscribe.rtp.size(), 1u);
  rtp::RtpPacket forwarded = view(f.bob_subscribe.rtp[0]);
  EXPECT_EQ(forwarded.ssrc(), 0xB0Bu);
  EXPECT_EQ(forwarded.payload_type(), kSubscriberVp8Pt);
  EXPECT_EQ(to_bob.to_source_sequence(forwarded.sequence_number()), 77) << "the original sequence number";
  EXPECT_EQ(Bytes(forwarded.payload().begin(), forwarded.payload().end()), kVp8Keyframe);
  EXPECT_EQ(f.video.counters().rtx_packets, 1u);
  EXPECT_TRUE(f.video.stored_packet(77, 1000)) << "the repaired packet is buffered like any other";
}

// libwebrtc probes its uplink with old packets resent on the RTX stream ("redundant payloads"):
// a restored packet the server already has is dropped, neither forwarded nor counted as media.
TEST(Router, AnRtxPacketOfAPacketAlreadyReceivedIsNotForwarded) {
  RouterFixture f;
  add_down_track(f.video, f.bob, f.bob_subscribe, 0xB0B);
  Bytes original = make_rtp(kVideoSsrc, kVp8Pt, 77, 9000, kVp8Keyframe);
  f.publish(original, 1000);
  ASSERT_EQ(f.bob_subscribe.rtp.size(), 1u);
  const uint64_t bytes = f.video.counters().bytes;
  Bytes rtx(1500);
  rtx.resize(rtp::build_rtx(view(original), kVp8RtxPt, kVideoRtxSsrc, 5, rtx));
  f.publish(rtx, 1010);
  EXPECT_EQ(f.bob_subscribe.rtp.size(), 1u) << "no second copy";
  EXPECT_EQ(f.drops.get(DropReason::RtxDuplicate), 1u);
  EXPECT_EQ(f.video.counters().rtx_packets, 0u);
  EXPECT_EQ(f.video.counters().bytes, bytes) << "not counted as the layer's media";

  // A real repair (78 never arrived) still goes through.
  Bytes lost = make_rtp(kVideoSsrc, kVp8Pt, 78, 9000, kVp8Delta);
  rtx.resize(1500);
  rtx.resize(rtp::build_rtx(view(lost), kVp8RtxPt, kVideoRtxSsrc, 6, rtx));
  f.publish(rtx, 1020);
  EXPECT_EQ(f.bob_subscribe.rtp.size(), 2u);
  EXPECT_EQ(f.video.counters().rtx_packets, 1u);
}

TEST(Router, AnswersASubscriberNackFromItsBuffer) {
  RouterFixture f;
  add_down_track(f.video, f.bob, f.bob_subscribe, 0xB0B, 0xB0C);
  f.publish(make_rtp(kVideoSsrc, kVp8Pt, 20, 9000, kVp8Keyframe), 1000);
  f.publish(make_rtp(kVideoSsrc, kVp8Pt, 21, 9000, kVp8Delta), 1000);
  ASSERT_EQ(f.bob_subscribe.rtp.size(), 2u);
  uint16_t lost = view(f.bob_subscribe.rtp[1]).sequence_number();
  size_t plis_before = f.plis_to_alice();

  const uint16_t nacked[] = {lost, static_cast<uint16_t>(lost + 100)};
  Bytes nack(64);
  nack.resize(rtp::build_generic_nack(0xB0B0, 0xB0B, nacked, nack));
  f.subscriber_rtcp(f.bob, nack, 1050);

  ASSERT_EQ(f.bob_subscribe.rtp.size(), 3u);
  rtp::RtpPacket rtx = view(f.bob_subscribe.rtp[2]);
  EXPECT_EQ(rtx.ssrc(), 0xB0Cu);
  EXPECT_EQ(rtx.payload_type(), kSubscriberVp8RtxPt);
  EXPECT_EQ(load_be16(rtx.payload().data()), lost);
  EXPECT_EQ(f.counters.nacks_received.load(), 1u);
  EXPECT_EQ(f.counters.retransmissions_sent.load(), 1u);
  EXPECT_EQ(f.counters.retransmissions_missed.load(), 1u);
  EXPECT_EQ(f.plis_to_alice(), plis_before) << "a subscriber's loss is repaired at its own hop";
  EXPECT_EQ(f.alice_publish.rtcp_of(rtp::RtcpMessageKind::kGenericNack).size(), 0u);
}

TEST(Router, CollapsesSubscriberPlisIntoOnePliUpstream) {
  RouterFixture f;
  add_down_track(f.video, f.bob, f.bob_subscribe, 0xB0B);
  add_down_track(f.video, f.carol, f.carol_subscribe, 0xCA401);
  f.publish(make_rtp(kVideoSsrc, kVp8Pt, 1, 3000, kVp8Keyframe), 1000);
  f.alice_publish.clear();

  f.subscriber_rtcp(f.bob, pli(0xB0B0, 0xB0B), 2000);
  f.subscriber_rtcp(f.carol, pli(0xCA40, 0xCA401), 2010);
  f.subscriber_rtcp(f.bob, pli(0xB0B0, 0xB0B), 2100);
  EXPECT_EQ(f.plis_to_alice(), 1u);
  EXPECT_EQ(f.counters.plis_received.load(), 3u);

  f.router.on_fast_timer(f.alice, 2000 + PublishedTrack::kKeyframeRequestIntervalMs - 1);
  EXPECT_EQ(f.plis_to_alice(), 1u) << "still within the interval";
  f.router.on_fast_timer(f.alice, 2000 + PublishedTrack::kKeyframeRequestIntervalMs);
  EXPECT_EQ(f.plis_to_alice(), 2u) << "the asks after the first go out as one once the interval passed";
  f.router.on_fast_timer(f.alice, 5000);
  EXPECT_EQ(f.plis_to_alice(), 2u) << "nothing pending";
}

TEST(Router, RewritesTheSenderReportForEachSubscriber) {
  RouterFixture f;
  DownTrack& to_bob = add_down_track(f.audio, f.bob, f.bob_subscribe, 0xB0B);
  DownTrack& to_carol = add_down_track(f.audio, f.carol, f.carol_subscribe, 0xCA401);
  f.publish(make_rtp(kAudioSsrc, kOpusPt, 1, 48000, {1}), 1000);

  rtp::SenderInfo info;
  info.ssrc = kAudioSsrc;
  info.ntp_timestamp = 0xE000000100000000ull;
  info.rtp_timestamp = 96000;
  info.packet_count = 50;
  Bytes sr(128);
  sr.resize(rtp::build_sender_report(info, {}, sr));
  f.router.on_publisher_rtcp(f.alice, sr.data(), sr.size(), 1500);

  EXPECT_EQ(f.counters.sender_reports_sent.load(), 2u);
  for (auto [sink, down] : {std::pair{&f.bob_subscribe, &to_bob}, std::pair{&f.carol_subscribe, &to_carol}}) {
    auto reports = sink->rtcp_of(rtp::RtcpMessageKind::kSenderReport);
    ASSERT_EQ(reports.size(), 1u);
    auto report = rtp::parse_sender_report(reports[0]);
    ASSERT_TRUE(report);
    EXPECT_EQ(report->info.ssrc, down->ssrc());
    EXPECT_EQ(report->info.ntp_timestamp, info.ntp_timestamp);
    EXPECT_EQ(report->info.rtp_timestamp, down->to_subscriber_timestamp(96000));
    EXPECT_EQ(report->info.packet_count, 1u) << "the server's count on this SSRC, not the publisher's";
  }
  EXPECT_TRUE(f.alice_publish.rtcp.empty());
}

TEST(Router, SendsNacksReceiverReportsAndTransportCcToThePublisher) {
  RouterFixture f;
  f.alice.set_transport_cc_extension(3);
  std::array<uint8_t, 2> twcc = {0x00, 0x01};
  std::array<rtp::HeaderExtension, 1> extensions = {rtp::HeaderExtension{3, twcc}};
  for (uint16_t seq : {1, 2, 5}) {
    rtp::RtpHeaderFields fields;
    fields.payload_type = kVp8Pt;
    fields.sequence_number = seq;
    fields.ssrc = kVideoSsrc;
    Bytes bytes(1500);
    twcc[1] = static_cast<uint8_t>(seq);
    bytes.resize(rtp::build_rtp_packet(fields, extensions, kVp8Delta, 0, bytes));
    f.publish(bytes, 1000);
  }
  f.router.on_fast_timer(f.alice, 1100);
  auto nacks = f.alice_publish.rtcp_of(rtp::RtcpMessageKind::kGenericNack);
  ASSERT_EQ(nacks.size(), 1u);
  std::vector<uint16_t> lost;
  rtp::parse_generic_nack(nacks[0])->for_each_lost([&](uint16_t seq) { lost.push_back(seq); });
  EXPECT_EQ(lost, (std::vector<uint16_t>{3, 4}));
  EXPECT_EQ(f.video.counters().nacks_sent, 1u);
  EXPECT_EQ(f.alice_publish.rtcp_of(rtp::RtcpMessageKind::kTransportCc).size(), 1u);
  EXPECT_EQ(f.counters.transport_cc_sent.load(), 1u);

  f.router.send_receiver_reports(f.alice, 1200);
  auto reports = f.alice_publish.rtcp_of(rtp::RtcpMessageKind::kReceiverReport);
  ASSERT_EQ(reports.size(), 1u);
  auto report = rtp::parse_receiver_report(reports[0]);
  ASSERT_EQ(report->report_blocks.size(), 1u) << "the silent audio track has no block";
  EXPECT_EQ(report->report_blocks[0].ssrc, kVideoSsrc);
  EXPECT_EQ(report->report_blocks[0].cumulative_lost, 2);
}

namespace {

// Rid simulcast as Chromium sends it: no a=ssrc, so every SSRC is learned from its header
// extensions. The offer announced q, h, f (in that order); the server forwards q.
constexpr uint8_t kMidId = 9, kRidId = 10, kRepairedRidId = 11;
constexpr uint32_t kSsrcQ = 0x5101, kSsrcF = 0x5103, kRtxQ = 0x5201, kRtxF = 0x5203, kProbeSsrc = 0x5300;

PublishedTrack& add_rid_simulcast_track(Participant& publisher, MediaSink& sink, std::string rid = "q") {
  PublishedTrackSpec spec;
  spec.id = "camera";
  spec.mid = "1";
  spec.kind = sdp::MediaKind::kVideo;
  spec.rid = std::move(rid);
  spec.codecs = {make_codec(kVp8Pt, "VP8", 90000)};
  spec.rtx_payload_type[kVp8Pt] = kVp8RtxPt;
  spec.extensions.mid = kMidId;
  spec.extensions.rid = kRidId;
  spec.extensions.repaired_rid = kRepairedRidId;
  publisher.published.push_back(std::make_unique<PublishedTrack>(publisher, sink, spec));
  return *publisher.published.back();
}

// A packet of mid 1 with the given rid-type extension (rid or repaired-rid; none when `rid` is
// empty) and RTP padding.
Bytes make_rid_rtp(uint32_t ssrc, uint8_t pt, uint16_t seq, uint8_t rid_id, std::string_view rid,
                   const Bytes& payload, size_t padding = 0) {
  rtp::RtpHeaderFields fields;
  fields.payload_type = pt;
  fields.sequence_number = seq;
  fields.timestamp = 9000;
  fields.ssrc = ssrc;
  const std::array<uint8_t, 1> mid = {'1'};
  Bytes rid_bytes(rid.begin(), rid.end());
  std::array<rtp::HeaderExtension, 2> extensions = {rtp::HeaderExtension{kMidId, mid},
                                                    rtp::HeaderExtension{rid_id, rid_bytes}};
  std::span<const rtp::HeaderExtension> used(extensions.data(), rid.empty() ? 1 : 2);
  Bytes out(1500);
  out.resize(rtp::build_rtp_packet(fields, used, payload, padding, out));
  return out;
}

// An RTX packet (RFC 4588: original sequence number, then the original payload).
Bytes make_rid_rtx(uint32_t rtx_ssrc, uint16_t rtx_seq, std::string_view repaired_rid, uint16_t original_seq,
                   const Bytes& original_payload) {
  Bytes payload = {static_cast<uint8_t>(original_seq >> 8), static_cast<uint8_t>(original_seq)};
  payload.insert(payload.end(), original_payload.begin(), original_payload.end());
  return make_rid_rtp(rtx_ssrc, kVp8RtxPt, rtx_seq, kRepairedRidId, repaired_rid, payload);
}

}  // namespace

TEST(Router, RidSimulcastBindsOnlyTheForwardedLayerAndItsRepairStream) {
  DropCounters drops;
  RouterCounters counters;
  Router router{drops, counters};
  Participant alice, bob;
  FakeMediaSink alice_publish, bob_subscribe;
  PublishedTrack& video = add_rid_simulcast_track(alice, alice_publish);
  DownTrack& to_bob = add_down_track(video, bob, bob_subscribe, 0xB0B, 0xB0C);
  auto publish = [&](Bytes bytes) { router.on_publisher_rtp(alice, bytes.data(), bytes.size(), 1000); };

  // What arrives before the forwarded layer's first packet: a padding probe on an RTX SSRC (no
  // payload at all), the top layer's media, and the top layer's repair stream.
  publish(make_rid_rtp(kProbeSsrc, kVp8RtxPt, 1, kRepairedRidId, "q", {}, 200));
  publish(make_rid_rtp(kSsrcF, kVp8Pt, 500, kRidId, "f", kVp8Keyframe));
  publish(make_rid_rtx(kRtxF, 1, "f", 499, kVp8Delta));
  EXPECT_EQ(video.ssrc(), 0u) << "the top layer must not be taken for the forwarded one";
  EXPECT_EQ(video.rtx_ssrc(), 0u) << "neither a probe nor another layer's repairs bind the RTX SSRC";
  EXPECT_TRUE(bob_subscribe.rtp.empty());
  EXPECT_EQ(drops.get(DropReason::NoRoute), 3u);

  publish(make_rid_rtp(kSsrcQ, kVp8Pt, 100, kRidId, "q", kVp8Keyframe));
  publish(make_rid_rtx(kRtxF, 2, "f", 501, kVp8Delta));
  publish(make_rid_rtx(kRtxQ, 1, "q", 101, kVp8Delta));
  EXPECT_EQ(video.ssrc(), kSsrcQ);
  EXPECT_EQ(video.rtx_ssrc(), kRtxQ);
  EXPECT_EQ(drops.get(DropReason::NoRoute), 4u) << "the top layer's repairs stay unrouted";
  ASSERT_EQ(bob_subscribe.rtp.size(), 2u);
  EXPECT_EQ(to_bob.to_source_sequence(view(bob_subscribe.rtp[0]).sequence_number()), 100);
  EXPECT_EQ(to_bob.to_source_sequence(view(bob_subscribe.rtp[1]).sequence_number()), 101)
      << "the repair restored into the forwarded layer's own sequence";
  EXPECT_EQ(video.counters().rtx_packets, 1u);
}

TEST(Router, RtxPaddingProbesNeverBindAStreamWithoutRids) {
  // One-layer video without a=ssrc (the mid alone says which track): a padding-only RTX packet
  // carries no repair and must not claim the repair SSRC before the real one.
  DropCounters drops;
  RouterCounters counters;
  Router router{drops, counters};
  Participant alice;
  FakeMediaSink alice_publish;
  PublishedTrack& video = add_rid_simulcast_track(alice, alice_publish, "");
  Bytes probe = make_rid_rtp(kProbeSsrc, kVp8RtxPt, 1, kRepairedRidId, "", {}, 200);
  router.on_publisher_rtp(alice, probe.data(), probe.size(), 1000);
  EXPECT_EQ(video.rtx_ssrc(), 0u);
  Bytes repair = make_rid_rtx(kRtxQ, 2, "", 7, kVp8Delta);
  router.on_publisher_rtp(alice, repair.data(), repair.size(), 1000);
  EXPECT_EQ(video.rtx_ssrc(), kRtxQ);
}
