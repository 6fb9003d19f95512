// SenderReportRewriter: the publisher's SR, as each subscriber must receive it (RFC 3550 6.4.1).
#include "sfu/media/rtcp/sender_report_rewriter.h"

#include <gtest/gtest.h>

#include "tests/unit/media/media_test_support.h"

using namespace sfu;
using namespace sfu::test;

namespace {

struct SrFixture {
  Participant publisher, subscriber, other;
  FakeMediaSink publisher_sink, subscriber_sink, other_sink;
  PublishedTrack& track = add_track(publisher, publisher_sink, sdp::MediaKind::kVideo, 0x1111);
  DownTrack& down = add_down_track(track, subscriber, subscriber_sink, 0x2222);

  SrFixture() { subscriber.cname = "subscriber-cname"; }
};

constexpr uint64_t kNtp = 0xE000000180000000ull;  // some second and a half after 1900

}  // namespace

TEST(SenderReportRewriter, BuildsNothingForADownTrackThatSentNothing) {
  SrFixture f;
  std::array<uint8_t, 512> out{};
  EXPECT_EQ(SenderReportRewriter::build(f.down, kNtp, 9000, out), 0u)
      << "before its first packet the down-track has no timestamp offset and the subscriber no stream";
}

TEST(SenderReportRewriter, MapsTheTimestampIntoTheSubscribersSpace) {
  SrFixture f;
  Bytes first = forward_one(f.track, f.down, make_rtp(0x1111, kVp8Pt, 7, 9000, kVp8Keyframe), 100);
  ASSERT_FALSE(first.empty());
  uint32_t subscriber_ts = view(first).timestamp();

  std::array<uint8_t, 512> out{};
  size_t size = SenderReportRewriter::build(f.down, kNtp, 9000 + 90000, out);
  ASSERT_GT(size, 0u);
  Bytes compound(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(size));
  rtp::RtcpCompoundIterator packets{ByteSpan(compound)};
  rtp::RtcpHeader header;
  ASSERT_TRUE(packets.next(header));
  auto sr = rtp::parse_sender_report(header);
  ASSERT_TRUE(sr);
  EXPECT_EQ(sr->info.ssrc, 0x2222u);
  EXPECT_EQ(sr->info.ntp_timestamp, kNtp) << "wall clock passes through unchanged";
  EXPECT_EQ(sr->info.rtp_timestamp, subscriber_ts + 90000) << "one second later, in the subscriber's space";
  EXPECT_EQ(sr->info.packet_count, 1u) << "what the server sent on this SSRC";
  EXPECT_EQ(sr->info.octet_count, kVp8Keyframe.size()) << "payload octets only (RFC 3550 6.4.1)";
  EXPECT_TRUE(sr->report_blocks.empty());
  ASSERT_TRUE(packets.next(header));
  auto sdes = rtp::parse_sdes(header);
  ASSERT_TRUE(sdes);
  EXPECT_EQ(sdes->cname(0x2222u), std::optional<std::string_view>("subscriber-cname"));
  EXPECT_FALSE(packets.next(header));
}

TEST(SenderReportRewriter, OctetCountExcludesHeaderCsrcsExtensionsAndPadding) {
  SrFixture f;
  // RFC 3550 6.4.1: "the total number of payload octets (i.e., not including header or padding)".
  const uint32_t csrcs[] = {0xC0, 0xC1};
  std::array<uint8_t, 3> abs_send_time = {1, 2, 3};
  std::array<rtp::HeaderExtension, 1> extensions = {rtp::HeaderExtension{2, abs_send_time}};
  rtp::RtpHeaderFields fields;
  fields.payload_type = kVp8Pt;
  fields.ssrc = 0x1111;
  fields.csrcs = csrcs;
  size_t payload_octets = 0;
  for (uint16_t seq = 7; seq < 10; ++seq) {
    fields.sequence_number = seq;
    fields.timestamp = 9000;
    Bytes bytes(1500);
    bytes.resize(rtp::build_rtp_packet(fields, extensions, seq == 7 ? kVp8Keyframe : kVp8Delta, 20, bytes));
    ASSERT_FALSE(forward_one(f.track, f.down, bytes, 100).empty());
    payload_octets += (seq == 7 ? kVp8Keyframe : kVp8Delta).size();
  }
  std::array<uint8_t, 512> out{};
  size_t size = SenderReportRewriter::build(f.down, kNtp, 9000, out);
  ASSERT_GT(size, 0u);
  rtp::RtcpCompoundIterator packets{ByteSpan(out.data(), size)};
  rtp::RtcpHeader header;
  ASSERT_TRUE(packets.next(header));
  auto sr = rtp::parse_sender_report(header);
  ASSERT_TRUE(sr);
  EXPECT_EQ(sr->info.packet_count, 3u);
  EXPECT_EQ(sr->info.octet_count, payload_octets);
}

TEST(SenderReportRewriter, RelaysToEveryStartedDownTrackInItsOwnSpace) {
  SrFixture f;
  DownTrack& waiting = add_down_track(f.track, f.other, f.other_sink, 0x3333);
  ASSERT_FALSE(forward_one(f.track, f.down, make_rtp(0x1111, kVp8Pt, 7, 9000, kVp8Keyframe), 100).empty());
  ASSERT_FALSE(waiting.started());

  SenderReportRewriter rewriter;
  EXPECT_EQ(rewriter.relay(f.track, kNtp, 12000, 200), 1u);
  ASSERT_EQ(f.subscriber_sink.rtcp.size(), 1u);
  EXPECT_TRUE(f.other_sink.rtcp.empty()) << "a subscriber still waiting for a keyframe knows no such stream";
  auto srs = f.subscriber_sink.rtcp_of(rtp::RtcpMessageKind::kSenderReport);
  ASSERT_EQ(srs.size(), 1u);
  EXPECT_EQ(rtp::parse_sender_report(srs[0])->info.rtp_timestamp, f.down.to_subscriber_timestamp(12000));
  EXPECT_TRUE(f.track.sender_clock().valid);
  EXPECT_EQ(f.track.sender_clock().ntp, kNtp);
  EXPECT_EQ(f.track.sender_clock().rtp_timestamp, 12000u);
}
