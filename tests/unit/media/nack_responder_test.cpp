// NackResponder: a subscriber's NACK answered from the server's buffer (RFC 4585 6.2.1, RFC 4588).
#include "sfu/media/rtcp/nack_responder.h"

#include <gtest/gtest.h>

#include "rtp/rtcp_builder.h"
#include "tests/unit/media/media_test_support.h"

using namespace sfu;
using namespace sfu::test;

namespace {

struct NackFixture {
  Participant publisher, subscriber;
  FakeMediaSink publisher_sink, subscriber_sink;
  PublishedTrack& track = add_track(publisher, publisher_sink, sdp::MediaKind::kVideo, 0x1111, 0x1112);
  NackResponder responder;

  // Starts `down` with a keyframe at publisher seq 100 and two delta packets; returns the
  // subscriber's sequence number of the first.
  uint16_t start(DownTrack& down) {
    uint16_t first =
        view_seq(forward_one(track, down, make_rtp(0x1111, kVp8Pt, 100, 9000, kVp8Keyframe), 1000));
    forward_one(track, down, make_rtp(0x1111, kVp8Pt, 101, 9000, kVp8Delta), 1000);
    forward_one(track, down, make_rtp(0x1111, kVp8Pt, 102, 12000, kVp8Delta), 1000);
    return first;
  }
  static uint16_t view_seq(Bytes bytes) { return view(bytes).sequence_number(); }
};

}  // namespace

TEST(NackResponder, ResendsAsRtxWhenTheSubscriberNegotiatedIt) {
  NackFixture f;
  DownTrack& down = add_down_track(f.track, f.subscriber, f.subscriber_sink, 0x2222, 0x2223);
  uint16_t first = f.start(down);

  auto result = f.responder.answer_one(down, static_cast<uint16_t>(first + 1), 1100);
  EXPECT_EQ(result.resent, 1u);
  EXPECT_EQ(result.missed, 0u);
  ASSERT_EQ(f.subscriber_sink.rtp.size(), 1u);
  rtp::RtpPacket rtx = view(f.subscriber_sink.rtp[0]);
  EXPECT_EQ(rtx.ssrc(), 0x2223u);
  EXPECT_EQ(rtx.payload_type(), kSubscriberVp8RtxPt);
  // RFC 4588 section 4: the original sequence number (the subscriber's) leads the payload.
  ASSERT_EQ(rtx.payload().size(), 2 + kVp8Delta.size());
  EXPECT_EQ(load_be16(rtx.payload().data()), static_cast<uint16_t>(first + 1));
  EXPECT_EQ(Bytes(rtx.payload().begin() + 2, rtx.payload().end()), kVp8Delta);
  EXPECT_EQ(down.counters().retransmitted, 1u);
}

TEST(NackResponder, ResendsTheOriginalWithoutRtx) {
  NackFixture f;
  DownTrack& down = add_down_track(f.track, f.subscriber, f.subscriber_sink, 0x2222);
  uint16_t first = f.start(down);
  ASSERT_EQ(f.responder.answer_one(down, first, 1100).resent, 1u);
  ASSERT_EQ(f.subscriber_sink.rtp.size(), 1u);
  rtp::RtpPacket resent = view(f.subscriber_sink.rtp[0]);
  EXPECT_EQ(resent.ssrc(), 0x2222u);
  EXPECT_EQ(resent.sequence_number(), first);
  EXPECT_EQ(resent.payload_type(), kSubscriberVp8Pt);
  EXPECT_EQ(Bytes(resent.payload().begin(), resent.payload().end()), kVp8Keyframe);
}

TEST(NackResponder, CountsAnUnknownSequenceNumberAsMissed) {
  NackFixture f;
  DownTrack& down = add_down_track(f.track, f.subscriber, f.subscriber_sink, 0x2222, 0x2223);
  uint16_t first = f.start(down);
  auto result = f.responder.answer_one(down, static_cast<uint16_t>(first + 50), 1100);
  EXPECT_EQ(result.resent, 0u);
  EXPECT_EQ(result.missed, 1u);
  EXPECT_TRUE(f.subscriber_sink.rtp.empty());
}

TEST(NackResponder, CountsAnExpiredPacketAsMissed) {
  NackFixture f;
  DownTrack& down = add_down_track(f.track, f.subscriber, f.subscriber_sink, 0x2222, 0x2223);
  uint16_t first = f.start(down);
  // Stored at 1000; the buffer answers for rtp::RetransmissionBuffer::kDefaultMaxAgeMs only.
  auto result = f.responder.answer_one(down, first, 1000 + rtp::RetransmissionBuffer::kDefaultMaxAgeMs + 1);
  EXPECT_EQ(result.missed, 1u);
  EXPECT_TRUE(f.subscriber_sink.rtp.empty());
}

TEST(NackResponder, AnswersEverySequenceNumberOfANack) {
  NackFixture f;
  DownTrack& down = add_down_track(f.track, f.subscriber, f.subscriber_sink, 0x2222, 0x2223);
  uint16_t first = f.start(down);
  const uint16_t lost[] = {first, static_cast<uint16_t>(first + 2), static_cast<uint16_t>(first + 3)};
  Bytes bytes(64);
  bytes.resize(rtp::build_generic_nack(0x9999, 0x2222, lost, bytes));
  auto header = only_rtcp(bytes);
  ASSERT_TRUE(header);
  auto nack = rtp::parse_generic_nack(*header);
  ASSERT_TRUE(nack);
  auto result = f.responder.answer(down, *nack, 1100);
  EXPECT_EQ(result.resent, 2u);
  EXPECT_EQ(result.missed, 1u) << "first + 3 was never sent";
  ASSERT_EQ(f.subscriber_sink.rtp.size(), 2u);
  EXPECT_EQ(load_be16(view(f.subscriber_sink.rtp[1]).payload().data()), static_cast<uint16_t>(first + 2));
}
