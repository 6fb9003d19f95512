// DownTrack: how one published packet is rewritten for one subscriber.
#include "sfu/media/down_track.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "rtp/rtp_packet.h"
#include "sfu/media/participant.h"
#include "sfu/media/published_track.h"
#include "tests/unit/media/media_test_support.h"

using namespace sfu;

namespace {

// A VP8 keyframe start (RFC 7741 descriptor S=1 PID=0, then a keyframe header with its start code).
const std::vector<uint8_t> kVp8Keyframe = {0x10, 0x10, 0x02, 0x00, 0x9d, 0x01,
                                           0x2a, 0x80, 0x02, 0xe0, 0x01, 0x11};
const std::vector<uint8_t> kVp8Delta = {0x10, 0x11, 0x02, 0x00, 0x00, 0x00,
                                        0x00, 0x00, 0x00, 0x00, 0x00, 0x22};

sdp::Codec codec(uint8_t pt, const char* name, uint32_t clock) {
  sdp::Codec c;
  c.payload_type = pt;
  c.name = name;
  c.clock_rate = clock;
  return c;
}

struct Fixture {
  Participant publisher;
  Participant subscriber;
  test::FakeMediaSink feedback_sink;  // the publisher's
  test::FakeMediaSink sink;           // the subscriber's
  std::unique_ptr<PublishedTrack> track;

  explicit Fixture(sdp::MediaKind kind) {
    PublishedTrackSpec spec;
    spec.id = "t1";
    spec.mid = "0";
    spec.kind = kind;
    spec.ssrc = 0x11111111;
    spec.codecs = {kind == sdp::MediaKind::kVideo ? codec(96, "VP8", 90000) : codec(111, "opus", 48000)};
    spec.extensions.abs_send_time = 2;
    spec.extensions.transport_cc = 3;
    spec.extensions.mid = 4;
    track = std::make_unique<PublishedTrack>(publisher, feedback_sink, spec);
  }
};

// Builds a publisher packet with abs-send-time (id 2), transport-cc (id 3) and mid (id 4).
std::vector<uint8_t> packet(uint8_t pt, uint16_t seq, uint32_t ts, const std::vector<uint8_t>& payload) {
  std::array<uint8_t, 3> abs = {0x01, 0x02, 0x03};
  std::array<uint8_t, 2> twcc = {0x00, 0x07};
  std::array<uint8_t, 1> mid = {'0'};
  std::array<rtp::HeaderExtension, 3> extensions = {
      rtp::HeaderExtension{2, abs}, rtp::HeaderExtension{3, twcc}, rtp::HeaderExtension{4, mid}};
  rtp::RtpHeaderFields fields;
  fields.payload_type = pt;
  fields.sequence_number = seq;
  fields.timestamp = ts;
  fields.ssrc = 0x11111111;
  std::vector<uint8_t> out(1500);
  size_t size = rtp::build_rtp_packet(fields, extensions, payload, 0, out);
  out.resize(size);
  return out;
}

rtp::RtpPacket view(std::vector<uint8_t>& bytes) { return *rtp::RtpPacket::parse(MutableByteSpan(bytes)); }

}  // namespace

TEST(DownTrack, SendsNothingUntilActive) {
  Fixture f(sdp::MediaKind::kAudio);
  DownTrack down(*f.track, f.subscriber, f.sink, "3", 0x22222222, 0);
  down.map_payload_type(111, 109, 0);
  auto bytes = packet(111, 100, 1000, {1, 2, 3});
  std::array<uint8_t, 2048> out{};
  EXPECT_EQ(down.rewrite(view(bytes), false, out), 0u);
  down.set_active(true);
  EXPECT_GT(down.rewrite(view(bytes), false, out), 0u);
}

TEST(DownTrack, RewritesSsrcSequenceTimestampPayloadTypeAndExtensions) {
  Fixture f(sdp::MediaKind::kAudio);
  DownTrack down(*f.track, f.subscriber, f.sink, "3", 0x22222222, 0);
  down.map_payload_type(111, 109, 0);
  down.map_extension(2, 7);  // abs-send-time moves to id 7; transport-cc and mid are not mapped
  down.set_active(true);
  std::array<uint8_t, 2048> out{};
  std::vector<uint16_t> sequences;
  std::vector<uint32_t> timestamps;
  for (uint16_t i = 0; i < 3; ++i) {
    auto bytes = packet(111, static_cast<uint16_t>(65534 + i), 1000 + 960u * i, {9, 8, 7});
    size_t size = down.rewrite(view(bytes), false, out);
    ASSERT_GT(size, 0u);
    auto rewritten = rtp::RtpPacket::parse(MutableByteSpan(out.data(), size));
    ASSERT_TRUE(rewritten);
    EXPECT_EQ(rewritten->ssrc(), 0x22222222u);
    EXPECT_EQ(rewritten->payload_type(), 109);
    EXPECT_EQ(std::vector<uint8_t>(rewritten->payload().begin(), rewritten->payload().end()),
              (std::vector<uint8_t>{9, 8, 7}));
    ASSERT_TRUE(rewritten->find_extension(7));
    EXPECT_EQ((*rewritten->find_extension(7))[2], 0x03);
    EXPECT_FALSE(rewritten->find_extension(2));
    EXPECT_FALSE(rewritten->find_extension(3)) << "transport-cc belongs to the publisher's hop";
    EXPECT_FALSE(rewritten->find_extension(4)) << "the publisher's mid means nothing to the subscriber";
    sequences.push_back(rewritten->sequence_number());
    timestamps.push_back(rewritten->timestamp());
    EXPECT_EQ(down.to_source_sequence(rewritten->sequence_number()), static_cast<uint16_t>(65534 + i));
  }
  // Consecutive across the publisher's wrap, timestamps keep their spacing.
  EXPECT_EQ(static_cast<uint16_t>(sequences[1] - sequences[0]), 1);
  EXPECT_EQ(static_cast<uint16_t>(sequences[2] - sequences[1]), 1);
  EXPECT_EQ(timestamps[1] - timestamps[0], 960u);
  EXPECT_EQ(down.counters().packets, 3u);
}

TEST(DownTrack, DropsCodecsTheSubscriberDidNotAccept) {
  Fixture f(sdp::MediaKind::kAudio);
  DownTrack down(*f.track, f.subscriber, f.sink, "3", 0x22222222, 0);
  down.set_active(true);  // active, but no payload type mapped
  auto bytes = packet(111, 1, 1, {1});
  std::array<uint8_t, 2048> out{};
  EXPECT_EQ(down.rewrite(view(bytes), false, out), 0u);
  EXPECT_EQ(down.counters().dropped_unsupported_codec, 1u);
}

TEST(DownTrack, VideoStartsOnAKeyframe) {
  Fixture f(sdp::MediaKind::kVideo);
  DownTrack down(*f.track, f.subscriber, f.sink, "5", 0x33333333, 0);
  down.map_payload_type(96, 98, 0);
  down.set_active(true);
  EXPECT_TRUE(down.needs_keyframe());
  std::array<uint8_t, 2048> out{};
  auto delta = packet(96, 10, 3000, kVp8Delta);
  EXPECT_EQ(down.rewrite(view(delta), false, out), 0u);
  EXPECT_EQ(down.counters().dropped_before_keyframe, 1u);
  auto key = packet(96, 11, 6000, kVp8Keyframe);
  size_t size = down.rewrite(view(key), true, out);
  ASSERT_GT(size, 0u);
  EXPECT_FALSE(down.needs_keyframe());
  uint16_t first = rtp::RtpPacket::parse(MutableByteSpan(out.data(), size))->sequence_number();
  // The delta frames after the keyframe follow without a gap.
  auto next = packet(96, 12, 6000, kVp8Delta);
  size = down.rewrite(view(next), false, out);
  ASSERT_GT(size, 0u);
  EXPECT_EQ(rtp::RtpPacket::parse(MutableByteSpan(out.data(), size))->sequence_number(),
            static_cast<uint16_t>(first + 1));
}

// A late packet from before the start is refused, and a long call keeps forwarding: the start is
// compared as a 16-bit difference, which would read as "before" 32,768 packets later, so the
// check must end well before that (it once dropped every packet from then on).
TEST(DownTrack, KeepsForwardingPastHalfTheSequenceSpaceAfterTheStart) {
  Fixture f(sdp::MediaKind::kVideo);
  DownTrack down(*f.track, f.subscriber, f.sink, "5", 0x33333333, 0);
  down.map_payload_type(96, 98, 0);
  down.set_active(true);
  std::array<uint8_t, 2048> out{};
  const uint16_t start = 65000;  // the run wraps the 16-bit sequence too
  auto key = packet(96, start, 0, kVp8Keyframe);
  ASSERT_GT(down.rewrite(view(key), true, out), 0u);
  auto late = packet(96, static_cast<uint16_t>(start - 1), 0, kVp8Delta);
  EXPECT_EQ(down.rewrite(view(late), false, out), 0u);
  EXPECT_EQ(down.outcome(), DownTrack::Outcome::kBeforeSwitch);
  EXPECT_FALSE(down.in_current_layer(static_cast<uint16_t>(start - 1)));

  constexpr int kPackets = 100000;  // past 32,768 and 65,536
  int sent = 0;
  uint16_t last = 0;
  for (int i = 1; i <= kPackets; ++i) {
    auto delta = packet(96, static_cast<uint16_t>(start + i), static_cast<uint32_t>(i * 90), kVp8Delta);
    size_t size = down.rewrite(view(delta), false, out);
    if (size == 0) continue;
    ++sent;
    uint16_t seq = rtp::RtpPacket::parse(MutableByteSpan(out.data(), size))->sequence_number();
    if (sent > 1) {
      EXPECT_EQ(seq, static_cast<uint16_t>(last + 1)) << "packet " << i;
    }
    last = seq;
  }
  EXPECT_EQ(sent, kPackets);
  EXPECT_EQ(down.counters().dropped_before_switch, 1u);
  // NACKs for recent packets are still answered, whatever their distance from the start.
  EXPECT_TRUE(down.in_current_layer(static_cast<uint16_t>(start + kPackets - 5)));
}

TEST(DownTrack, RetransmitsAsRtxWhenNegotiated) {
  Fixture f(sdp::MediaKind::kVideo);
  DownTrack down(*f.track, f.subscriber, f.sink, "5", 0x33333333, 0x44444444);
  down.map_payload_type(96, 98, 99);
  down.set_active(true);
  std::array<uint8_t, 2048> out{}, scratch{};
  auto key = packet(96, 500, 9000, kVp8Keyframe);
  size_t size = down.rewrite(view(key), true, out);
  ASSERT_GT(size, 0u);
  uint16_t subscriber_seq = rtp::RtpPacket::parse(MutableByteSpan(out.data(), size))->sequence_number();

  size_t rtx_size = down.rewrite_retransmission(view(key), scratch, out);
  ASSERT_GT(rtx_size, 0u);
  auto rtx = rtp::RtpPacket::parse(MutableByteSpan(out.data(), rtx_size));
  ASSERT_TRUE(rtx);
  EXPECT_EQ(rtx->ssrc(), 0x44444444u);
  EXPECT_EQ(rtx->payload_type(), 99);
  // RFC 4588: the payload starts with the original sequence number (in the subscriber's space).
  ASSERT_GE(rtx->payload().size(), 2u + kVp8Keyframe.size());
  EXPECT_EQ(load_be16(rtx->payload().data()), subscriber_seq);
  EXPECT_EQ(std::vector<uint8_t>(rtx->payload().begin() + 2, rtx->payload().end()), kVp8Keyframe);
  EXPECT_EQ(down.counters().retransmitted, 1u);
}

TEST(DownTrack, RetransmitsOnTheMediaSsrcWithoutRtx) {
  Fixture f(sdp::MediaKind::kVideo);
  DownTrack down(*f.track, f.subscriber, f.sink, "5", 0x33333333, 0);
  down.map_payload_type(96, 98, 0);
  down.set_active(true);
  std::array<uint8_t, 2048> out{}, scratch{};
  auto key = packet(96, 500, 9000, kVp8Keyframe);
  ASSERT_GT(down.rewrite(view(key), true, out), 0u);
  size_t size = down.rewrite_retransmission(view(key), scratch, out);
  ASSERT_GT(size, 0u);
  auto resent = rtp::RtpPacket::parse(MutableByteSpan(out.data(), size));
  EXPECT_EQ(resent->ssrc(), 0x33333333u);
  EXPECT_EQ(resent->payload_type(), 98);
}

TEST(PublishedTrack, CollapsesKeyframeRequestsToOnePerInterval) {
  Fixture f(sdp::MediaKind::kVideo);
  PublishedTrack& track = *f.track;
  track.request_keyframe();
  EXPECT_TRUE(track.take_keyframe_request(1000, PublishedTrack::kKeyframeRequestIntervalMs));
  for (int i = 0; i < 50; ++i) track.request_keyframe();  // a storm from 50 subscribers
  EXPECT_FALSE(track.take_keyframe_request(1000 + PublishedTrack::kKeyframeRequestIntervalMs - 1,
                                           PublishedTrack::kKeyframeRequestIntervalMs));
  EXPECT_TRUE(track.take_keyframe_request(1000 + PublishedTrack::kKeyframeRequestIntervalMs,
                                          PublishedTrack::kKeyframeRequestIntervalMs));
  EXPECT_FALSE(track.take_keyframe_request(5000, PublishedTrack::kKeyframeRequestIntervalMs))
      << "nothing pending";
  EXPECT_EQ(track.counters().keyframe_requests_sent, 2u);
}

TEST(PublishedTrack, BuffersVideoForRetransmission) {
  Fixture f(sdp::MediaKind::kVideo);
  auto bytes = packet(96, 77, 1, kVp8Delta);
  f.track->on_packet(view(bytes), 100);
  auto stored = f.track->stored_packet(77, 150);
  ASSERT_TRUE(stored);
  EXPECT_EQ(std::vector<uint8_t>(stored->begin(), stored->end()), bytes);
  EXPECT_FALSE(f.track->stored_packet(78, 150));
  EXPECT_EQ(f.track->counters().packets, 1u);
}

TEST(PublishedTrack, MapsRtxPayloadTypesToTheMediaTheyRepair) {
  Fixture f(sdp::MediaKind::kVideo);
  PublishedTrackSpec spec = f.track->spec();
  spec.rtx_payload_type[96] = 97;
  PublishedTrack track(f.publisher, f.feedback_sink, spec);
  EXPECT_EQ(track.media_payload_type_of_rtx(97), std::optional<uint8_t>(96));
  EXPECT_FALSE(track.media_payload_type_of_rtx(96));
  EXPECT_FALSE(track.media_payload_type_of_rtx(0))
      << "0 marks 'no RTX' in the table, it is not an RTX payload type";
}
