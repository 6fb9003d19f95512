// The media path between two workers of a spanning room, in one thread (cross_worker_test_support.h):
// the link's ring (copies, full and too-large drops, one wake-up per burst), the tables' dispatch
// (fan-out on the other worker, stale tracks), and RTCP back across: keyframe requests collapse on
// both sides and reach the publisher, a NACK the subscriber's worker cannot answer is answered from
// the publisher's worker, and sender reports reach the other worker's subscribers.
#include <gtest/gtest.h>

#include <array>

#include "rtp/rtcp_builder.h"
#include "tests/unit/media/cross_worker_test_support.h"

namespace sfu {
namespace {

using test::Bytes;
using test::TwoWorkers;

Bytes video_packet(uint16_t seq, bool keyframe = false) {
  return test::make_rtp(TwoWorkers::kPublisherSsrc, test::kVp8Pt, seq, seq * 3000u,
                        keyframe ? test::kVp8Keyframe : test::kVp8Delta);
}

void send_on_a(TwoWorkers& w, uint16_t seq, uint64_t now_ms, bool keyframe = false) {
  Bytes packet = video_packet(seq, keyframe);
  w.a_router.on_publisher_rtp(w.publisher, packet.data(), packet.size(), now_ms);
}

uint16_t seq_of(const Bytes& rtp) { return test::view(const_cast<Bytes&>(rtp)).sequence_number(); }

TEST(CrossWorkerLink, CopiesAPacketWithItsTrackAndArrivalTime) {
  test::TwoWorkers w;
  Bytes packet = video_packet(7, true);
  ASSERT_TRUE(w.a_to_b.push_rtp(CrossWorkerKind::kMedia, w.ref, 0, packet, 1234));
  packet.assign(packet.size(), 0);  // the ring holds its own copy
  size_t seen = w.a_to_b.drain([&](CrossWorkerPacket& slot) {
    EXPECT_EQ(slot.kind, CrossWorkerKind::kMedia);
    EXPECT_EQ(slot.track, w.ref);
    EXPECT_EQ(slot.arrival_ms, 1234u);
    Bytes copy(slot.data.begin(), slot.data.begin() + slot.size);
    EXPECT_EQ(copy, video_packet(7, true));
  });
  EXPECT_EQ(seen, 1u);
  EXPECT_EQ(w.a_counters.packets_out.load(), 1u);
  EXPECT_EQ(w.b_counters.packets_in.load(), 1u);
}

TEST(CrossWorkerLink, WakesTheConsumerOncePerBurst) {
  test::TwoWorkers w;
  w.a_to_b.wake_consumer();
  EXPECT_EQ(w.b_bell.rings, 0) << "nothing pushed, nobody woken";
  for (uint16_t seq = 0; seq < 10; ++seq)
    w.a_to_b.push_rtp(CrossWorkerKind::kMedia, w.ref, 0, video_packet(seq), 1);
  w.a_to_b.wake_consumer();
  w.a_to_b.wake_consumer();
  EXPECT_EQ(w.b_bell.rings, 1);
  EXPECT_EQ(w.a_counters.wakeups.load(), 1u);
}

TEST(CrossWorkerLink, FullRingAndOversizedPacketsAreDroppedAndCounted) {
  test::TwoWorkers w(16);
  for (uint16_t seq = 0; seq < 20; ++seq)
    w.a_to_b.push_rtp(CrossWorkerKind::kMedia, w.ref, 0, video_packet(seq), 1);
  EXPECT_EQ(w.a_counters.packets_out.load(), 16u);
  EXPECT_EQ(w.a_counters.dropped_full.load(), 4u);
  Bytes huge(CrossWorkerPacket::kMaxBytes + 1, 0x80);
  w.drain_b(1);
  EXPECT_FALSE(w.a_to_b.push_rtp(CrossWorkerKind::kMedia, w.ref, 0, huge, 1));
  EXPECT_EQ(w.a_counters.dropped_too_large.load(), 1u);
}

TEST(CrossWorkerLink, ANackNamesAtMostOneSlotOfSequenceNumbers) {
  test::TwoWorkers w;
  std::vector<uint16_t> many(CrossWorkerPacket::kMaxNackItems + 10, 1);
  ASSERT_TRUE(w.b_to_a.push_nack(w.ref, 0, many));
  w.b_to_a.drain([](CrossWorkerPacket& slot) {
    EXPECT_EQ(slot.kind, CrossWorkerKind::kNack);
    EXPECT_EQ(slot.size, CrossWorkerPacket::kMaxNackItems * sizeof(uint16_t));
  });
  EXPECT_FALSE(w.b_to_a.push_nack(w.ref, 0, {})) << "nothing to ask";
}

TEST(CrossWorker, MediaIsHandedOverOnceAndFansOutWithTheOtherWorkersDownTracks) {
  test::TwoWorkers w;
  Participant ann, bob;
  test::FakeMediaSink ann_sink, bob_sink;
  w.subscribe_on_b(ann, ann_sink, 5000);
  w.subscribe_on_b(bob, bob_sink, 6000);
  for (uint16_t seq = 0; seq < 5; ++seq) send_on_a(w, seq, 1000 + seq, seq == 0);
  EXPECT_EQ(w.a_counters.packets_out.load(), 5u) << "one slot per packet, whatever the subscribers";
  EXPECT_TRUE(ann_sink.rtp.empty()) << "nothing before worker B drains";
  EXPECT_EQ(w.drain_b(1010), 5u);
  ASSERT_EQ(ann_sink.rtp.size(), 5u);
  ASSERT_EQ(bob_sink.rtp.size(), 5u);
  EXPECT_EQ(test::view(ann_sink.rtp[0]).ssrc(), 5000u);
  EXPECT_EQ(test::view(bob_sink.rtp[0]).ssrc(), 6000u);
  EXPECT_EQ(test::view(ann_sink.rtp[0]).payload_type(), test::kSubscriberVp8Pt);
  for (size_t i = 1; i < 5; ++i)
    EXPECT_EQ(seq_of(ann_sink.rtp[i]), static_cast<uint16_t>(seq_of(ann_sink.rtp[0]) + i));
  EXPECT_EQ(w.b_router_counters.rtp_forwarded.load(), 10u);
  EXPECT_EQ(w.proxy->counters().packets, 5u);
  EXPECT_EQ(w.proxy->nack_generator(), nullptr) << "the publisher's worker NACKs the publisher";
}

TEST(CrossWorker, SlotsOfAnUnpublishedTrackAreDroppedAsStale) {
  test::TwoWorkers w;
  Participant ann;
  test::FakeMediaSink ann_sink;
  w.subscribe_on_b(ann, ann_sink, 5000);
  send_on_a(w, 0, 1000, true);
  // Worker B drops its proxy (the track was unpublished) and A reuses the export id meanwhile.
  w.b_tables.unimport(0, w.ref);
  w.a_tables.unexport(w.ref);
  CrossWorkerTrackRef reused = w.a_tables.export_track(*w.track, w.a_router);
  EXPECT_EQ(reused.export_id, w.ref.export_id);
  EXPECT_NE(reused.generation, w.ref.generation);
  w.drain_b(1001);
  EXPECT_TRUE(ann_sink.rtp.empty());
  EXPECT_EQ(w.b_counters.dropped_stale.load(), 1u);
  // A keyframe request for the old generation finds nothing on A either.
  w.b_to_a.push_keyframe_request(w.ref, 0);
  w.drain_a(1002);
  EXPECT_EQ(w.a_counters.dropped_stale.load(), 1u);
  EXPECT_TRUE(w.publisher_feedback.rtcp_of(rtp::RtcpMessageKind::kPli).empty());
}

TEST(CrossWorker, AKeyframeRequestOnTheSubscribersWorkerReachesThePublisher) {
  test::TwoWorkers w;
  Participant ann, bob;
  test::FakeMediaSink ann_sink, bob_sink;
  w.subscribe_on_b(ann, ann_sink, 5000);
  w.subscribe_on_b(bob, bob_sink, 6000);
  send_on_a(w, 0, 1000, true);
  w.drain_b(1000);
  // Both subscribers ask at once: worker B collapses them into one request across.
  std::array<uint8_t, 64> pli{};
  size_t size = rtp::build_pli(1, 5000, pli);
  w.b_router.on_subscriber_rtcp(ann, pli.data(), size, 1100);
  size = rtp::build_pli(1, 6000, pli);
  w.b_router.on_subscriber_rtcp(bob, pli.data(), size, 1100);
  EXPECT_EQ(w.drain_a(1100), 1u);
  EXPECT_EQ(w.a_counters.keyframe_requests_in.load(), 1u);
  auto plis = w.publisher_feedback.rtcp_of(rtp::RtcpMessageKind::kPli);
  ASSERT_EQ(plis.size(), 1u);
  EXPECT_EQ(rtp::parse_pli(plis[0])->media_ssrc, TwoWorkers::kPublisherSsrc);
  EXPECT_TRUE(w.proxy->keyframe_wanted()) << "Bob's waits for the interval on worker B";
}

TEST(CrossWorker, ANackTheSubscribersWorkerCannotAnswerIsAnsweredByThePublishersWorker) {
  test::TwoWorkers w;
  Participant ann;
  test::FakeMediaSink ann_sink;
  w.subscribe_on_b(ann, ann_sink, 5000);
  send_on_a(w, 0, 1000, true);
  send_on_a(w, 1, 1001);
  // Packet 2 reaches worker A's buffer but never worker B (its ring was full, say).
  Bytes lost = video_packet(2);
  w.track->on_packet(test::view(lost), 1002);
  send_on_a(w, 3, 1003);
  w.drain_b(1003);
  ASSERT_EQ(ann_sink.rtp.size(), 3u);
  const uint16_t first = seq_of(ann_sink.rtp[0]);
  EXPECT_EQ(seq_of(ann_sink.rtp[2]), static_cast<uint16_t>(first + 3)) << "a gap where packet 2 was";

  // Ann NACKs it: worker B's buffer lacks it, so the NACK crosses; A answers with a repair.
  std::array<uint8_t, 64> nack{};
  const uint16_t missing[] = {static_cast<uint16_t>(first + 2)};
  size_t size = rtp::build_generic_nack(1, 5000, missing, nack);
  w.b_router.on_subscriber_rtcp(ann, nack.data(), size, 1010);
  EXPECT_EQ(w.b_router_counters.retransmissions_missed.load(), 1u);
  EXPECT_EQ(w.drain_a(1010), 1u);
  EXPECT_EQ(w.a_counters.repairs_sent.load(), 1u);
  EXPECT_EQ(w.drain_b(1011), 1u);
  ASSERT_EQ(ann_sink.rtp.size(), 4u);
  EXPECT_EQ(seq_of(ann_sink.rtp[3]), static_cast<uint16_t>(first + 2)) << "the repair, in Ann's numbering";
  EXPECT_EQ(test::view(ann_sink.rtp[3]).ssrc(), 5000u);

  // Asked again, it is now in worker B's buffer: answered there (as RTX), nothing crosses.
  w.b_router.on_subscriber_rtcp(ann, nack.data(), size, 1200);
  EXPECT_EQ(w.b_router_counters.retransmissions_sent.load(), 1u);
  EXPECT_EQ(w.drain_a(1200), 0u);
  ASSERT_EQ(ann_sink.rtp.size(), 5u);
  EXPECT_EQ(test::view(ann_sink.rtp[4]).ssrc(), 5001u);

  // A repeat across within 100 ms is refused on A as a duplicate; one for a packet A no longer
  // (or never) had is counted missed.
  const uint16_t again[] = {2, 40000};
  w.b_to_a.push_nack(w.ref, 0, again);
  w.drain_a(1020);
  EXPECT_EQ(w.a_counters.repairs_duplicate.load(), 1u);
  EXPECT_EQ(w.a_counters.repairs_missed.load(), 1u);
}

TEST(CrossWorker, SenderReportsReachTheOtherWorkersSubscribersInTheirOwnSpace) {
  test::TwoWorkers w;
  Participant ann;
  test::FakeMediaSink ann_sink;
  w.subscribe_on_b(ann, ann_sink, 5000);
  send_on_a(w, 0, 1000, true);
  rtp::SenderInfo info;
  info.ssrc = TwoWorkers::kPublisherSsrc;
  info.ntp_timestamp = 0x0123456789abcdefull;
  info.rtp_timestamp = 90000;
  std::array<uint8_t, 256> sr{};
  size_t size = rtp::build_sender_report(info, {}, sr);
  w.a_router.on_publisher_rtcp(w.publisher, sr.data(), size, 1005);
  w.drain_b(1006);
  auto reports = ann_sink.rtcp_of(rtp::RtcpMessageKind::kSenderReport);
  ASSERT_EQ(reports.size(), 1u);
  auto report = rtp::parse_sender_report(reports[0]);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->info.ssrc, 5000u);
  EXPECT_EQ(report->info.ntp_timestamp, info.ntp_timestamp);
  EXPECT_EQ(w.proxy->sender_clock().ntp, info.ntp_timestamp);
}

TEST(ProxyUplink, TerminatesReceiverReportsPerHop) {
  test::TwoWorkers w;
  std::array<uint8_t, 64> rr{};
  size_t size = rtp::build_receiver_report(1, {}, rr);
  EXPECT_FALSE(w.uplink->send_rtcp(ByteSpan(rr.data(), size)));
  EXPECT_EQ(w.drain_a(1), 0u);
}

}  // namespace
}  // namespace sfu
