// Tests for rtp/rtcp_packet.h and rtp/rtcp_parser.h, on the captured and hand-assembled packets of
// rtcp_test_support.h (sources there).

#include "rtp/rtcp_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "rtp/rtcp_packet.h"
#include "tests/unit/rtp/rtcp_test_support.h"

namespace sfu::rtp {
namespace {

using namespace test;

std::vector<RtcpHeader> packets_of(ByteSpan compound, RtcpError* error = nullptr) {
  std::vector<RtcpHeader> packets;
  RtcpCompoundIterator it(compound);
  RtcpHeader header;
  while (it.next(header)) packets.push_back(header);
  if (error) *error = it.error();
  return packets;
}

std::vector<TransportCcPacketStatus> decode_all(const TransportCc& feedback) {
  std::vector<TransportCcPacketStatus> out(feedback.status_count);
  EXPECT_EQ(feedback.decode(out), feedback.status_count);
  return out;
}

// Runs every parser over one packet, reads everything they expose and checks their invariants.
// Under ASan any read outside the packet fails the test.
void exercise_packet(const RtcpHeader& header) {
  size_t sum = static_cast<size_t>(classify_rtcp(header));
  if (auto sr = parse_sender_report(header)) {
    EXPECT_EQ(sr->report_blocks.size(), header.count);
    for (const ReportBlock block : sr->report_blocks) sum += block.ssrc + static_cast<size_t>(block.jitter);
    for (uint8_t b : sr->profile_extension) sum += b;
  }
  if (auto rr = parse_receiver_report(header)) {
    EXPECT_EQ(rr->report_blocks.size(), header.count);
    for (const ReportBlock block : rr->report_blocks) sum += block.last_sr;
  }
  if (auto sdes = parse_sdes(header)) {
    SdesItemReader reader = sdes->items();
    SdesItem item;
    while (reader.next(item)) sum += item.text.size() + item.type;
    EXPECT_FALSE(reader.malformed());
    sum += sdes->cname().value_or("").size();
  }
  if (auto bye = parse_bye(header)) {
    for (uint32_t ssrc : bye->ssrcs) sum += ssrc;
    for (char c : bye->reason) sum += static_cast<uint8_t>(c);
  }
  if (auto nack = parse_generic_nack(header)) {
    std::vector<uint16_t> lost(nack->lost_count());
    EXPECT_EQ(nack->lost_sequence_numbers(lost), lost.size());
    std::array<uint16_t, 3> few;
    EXPECT_EQ(nack->lost_sequence_numbers(few), std::min<size_t>(3, lost.size()));
  }
  if (auto pli = parse_pli(header)) sum += pli->media_ssrc;
  if (auto fir = parse_fir(header)) {
    for (const FirEntry entry : fir->entries) sum += entry.ssrc + entry.sequence_number;
  }
  if (auto remb = parse_remb(header)) {
    for (uint32_t ssrc : remb->ssrcs) sum += ssrc;
    sum += static_cast<size_t>(remb->bitrate_bps);
  }
  if (auto twcc = parse_transport_cc(header)) {
    const auto statuses = decode_all(*twcc);
    const auto received = std::count_if(statuses.begin(), statuses.end(), [](auto& s) { return s.received; });
    EXPECT_EQ(static_cast<size_t>(received), twcc->received_count);
    std::array<TransportCcPacketStatus, 2> few;
    EXPECT_EQ(twcc->decode(few), std::min<size_t>(2, twcc->status_count));
  }
  // The rewrites must stay inside the packet too.
  Bytes copy(header.packet.begin(), header.packet.end());
  rewrite_feedback_media_ssrc(copy, 1);
  rewrite_feedback_sender_ssrc(copy, 2);
  rewrite_sender_report_ssrc(copy, 3);
  (void)sum;
}

void exercise_compound(ByteSpan compound) {
  Bytes heap(compound.begin(), compound.end());  // exact-size heap copy, so ASan sees overreads
  (void)is_rtcp(heap);
  for (const RtcpHeader& header : packets_of(heap)) exercise_packet(header);
}

// --- common header and compounds --------------------------------------------------------------

TEST(Rtcp, IsRtcpDistinguishesRtcpFromRtp) {
  for (const Bytes* fixture : all_fixtures()) EXPECT_TRUE(is_rtcp(*fixture));
  const Bytes rtp = {0x90, 0x60, 0x1b, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(is_rtcp(rtp));
  const Bytes rtp_marker = {0x80, 0xe0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};  // marker + PT 96 = 224
  EXPECT_FALSE(is_rtcp(rtp_marker));
  EXPECT_FALSE(is_rtcp(Bytes{0x80, 0xc8, 0x00}));
  EXPECT_FALSE(is_rtcp(Bytes{0x40, 0xc8, 0x00, 0x00}));
}

TEST(Rtcp, IteratesChromeSrSdesCompound) {
  RtcpError error = RtcpError::kEmpty;
  const auto packets = packets_of(kChromeSrSdes, &error);
  EXPECT_EQ(error, RtcpError::kNone);
  ASSERT_EQ(packets.size(), 2u);
  EXPECT_TRUE(packets[0].is(RtcpPacketType::kSenderReport));
  EXPECT_EQ(packets[0].count, 0);
  EXPECT_EQ(packets[0].length_words, 6);
  EXPECT_EQ(packets[0].offset, 0u);
  EXPECT_EQ(packets[0].size(), 28u);
  EXPECT_EQ(packets[0].body.size(), 24u);
  EXPECT_TRUE(packets[1].is(RtcpPacketType::kSdes));
  EXPECT_EQ(packets[1].count, 1);
  EXPECT_EQ(packets[1].offset, 28u);
  size_t count = 0;
  EXPECT_EQ(validate_rtcp_compound(kChromeSrSdes, &count), RtcpError::kNone);
  EXPECT_EQ(count, 2u);
}

TEST(Rtcp, EveryTruncationOfACompoundIsReported) {
  for (size_t length = 0; length < kChromeSrSdes.size(); ++length) {
    Bytes cut(kChromeSrSdes.begin(), kChromeSrSdes.begin() + static_cast<std::ptrdiff_t>(length));
    const RtcpError expected =
        length == 0 ? RtcpError::kEmpty : (length == 28 ? RtcpError::kNone : RtcpError::kTruncated);
    EXPECT_EQ(validate_rtcp_compound(cut), expected) << "length " << length;
  }
}

TEST(Rtcp, RejectsBadVersionAndPadding) {
  Bytes bad_version = kChromeSrSdes;
  bad_version[28] = 0x41;  // second packet
  RtcpError error = RtcpError::kNone;
  EXPECT_EQ(packets_of(bad_version, &error).size(), 1u);
  EXPECT_EQ(error, RtcpError::kBadVersion);

  Bytes zero_padding = kTwccChrome;
  zero_padding.back() = 0;
  EXPECT_EQ(validate_rtcp_compound(zero_padding), RtcpError::kBadPadding);
  Bytes big_padding = kTwccChrome;
  big_padding.back() = 29;  // the body is 28 bytes
  EXPECT_EQ(validate_rtcp_compound(big_padding), RtcpError::kBadPadding);
  Bytes all_padding = kTwccChrome;
  all_padding.back() = 28;
  const auto packets = packets_of(all_padding);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_TRUE(packets[0].body.empty());
  EXPECT_FALSE(parse_transport_cc(packets[0]).has_value());
  const Bytes empty_with_padding = {0xa0, 0xc9, 0x00, 0x00};
  EXPECT_EQ(validate_rtcp_compound(empty_with_padding), RtcpError::kBadPadding);
  EXPECT_EQ(validate_rtcp_compound({}), RtcpError::kEmpty);
  EXPECT_STREQ(to_string(RtcpError::kTruncated), "truncated");
}

// --- reports, SDES, BYE -----------------------------------------------------------------------

TEST(Rtcp, ParsesChromeSenderReportAndCname) {
  const auto packets = packets_of(kChromeSrSdes);
  ASSERT_EQ(packets.size(), 2u);
  const auto sr = parse_sender_report(packets[0]);
  ASSERT_TRUE(sr.has_value());
  EXPECT_EQ(sr->info, (SenderInfo{0x2b7ec0c5, 0xe020a2a952a53fc0, 0x2e48a552, 70, 4637}));
  EXPECT_TRUE(sr->report_blocks.empty());
  EXPECT_TRUE(sr->profile_extension.empty());
  EXPECT_FALSE(parse_receiver_report(packets[0]).has_value());

  const auto sdes = parse_sdes(packets[1]);
  ASSERT_TRUE(sdes.has_value());
  EXPECT_EQ(sdes->cname(), "LcIfzXonDordSeW6");
  EXPECT_EQ(sdes->cname(0x2b7ec0c5), "LcIfzXonDordSeW6");
  EXPECT_FALSE(sdes->cname(0x12345678).has_value());
  EXPECT_EQ(classify_rtcp(packets[0]), RtcpMessageKind::kSenderReport);
  EXPECT_EQ(classify_rtcp(packets[1]), RtcpMessageKind::kSdes);
}

TEST(Rtcp, ParsesFirefoxCompound) {
  const auto packets = packets_of(kFirefoxCompound);
  ASSERT_EQ(packets.size(), 5u);
  const auto rr = parse_receiver_report(packets[0]);
  ASSERT_TRUE(rr.has_value());
  EXPECT_EQ(rr->sender_ssrc, 0x902f9e2eu);
  ASSERT_EQ(rr->report_blocks.size(), 1u);
  EXPECT_EQ(rr->report_blocks[0], (ReportBlock{0xbc5e9a40, 0, 0, 0x46e1, 273, 0x09f36432, 150137}));

  const auto sdes = parse_sdes(packets[1]);
  ASSERT_TRUE(sdes.has_value());
  EXPECT_EQ(sdes->cname(0x902f9e2e), "{9c00eb92-1afb-9d49-a47d-91f64eee69f5}");

  const auto bye = parse_bye(packets[2]);
  ASSERT_TRUE(bye.has_value());
  ASSERT_EQ(bye->ssrcs.size(), 1u);
  EXPECT_EQ(bye->ssrcs[0], 0x902f9e2eu);
  EXPECT_TRUE(bye->reason.empty());

  const auto pli = parse_pli(packets[3]);
  ASSERT_TRUE(pli.has_value());
  EXPECT_EQ(pli->sender_ssrc, 0x902f9e2eu);
  EXPECT_EQ(pli->media_ssrc, 0x902f9e2eu);

  EXPECT_EQ(classify_rtcp(packets[0]), RtcpMessageKind::kReceiverReport);
  EXPECT_EQ(classify_rtcp(packets[2]), RtcpMessageKind::kBye);
  EXPECT_EQ(classify_rtcp(packets[3]), RtcpMessageKind::kPli);
  EXPECT_EQ(classify_rtcp(packets[4]), RtcpMessageKind::kOther);  // RRR
  EXPECT_FALSE(parse_generic_nack(packets[4]).has_value());
  EXPECT_FALSE(parse_transport_cc(packets[4]).has_value());
}

TEST(Rtcp, ParsesSenderReportBlocks) {
  const auto sr = parse_sender_report(only_packet(kSrWithBlock));
  ASSERT_TRUE(sr.has_value());
  EXPECT_EQ(sr->info.ntp_timestamp, 0xda8bd1fcdddda05aull);
  EXPECT_EQ(sr->info.packet_count, 1u);
  EXPECT_EQ(sr->info.octet_count, 2u);
  ASSERT_EQ(sr->report_blocks.size(), 1u);
  std::vector<ReportBlock> blocks(sr->report_blocks.begin(), sr->report_blocks.end());
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].extended_highest_sequence, 0x46e1u);
  EXPECT_EQ(blocks[0].delay_since_last_sr, 150137u);
}

TEST(Rtcp, ParsesNegativeCumulativeLoss) {
  const auto rr = parse_receiver_report(only_packet(kRrNegativeLoss));
  ASSERT_TRUE(rr.has_value());
  EXPECT_EQ(rr->report_blocks[0], (ReportBlock{2, 25, -1, 0x00010010, 32, 48, 64}));
}

TEST(Rtcp, ParsesByeReason) {
  const auto bye = parse_bye(only_packet(kByeWithReason));
  ASSERT_TRUE(bye.has_value());
  EXPECT_EQ(std::vector<uint32_t>(bye->ssrcs.begin(), bye->ssrcs.end()),
            (std::vector<uint32_t>{0x11111111, 0x22222222}));
  EXPECT_EQ(bye->reason, "closed");
}

TEST(Rtcp, RejectsMalformedReportsSdesAndBye) {
  Bytes sr_count = kSrWithBlock;
  sr_count[0] = 0x82;  // 2 blocks announced, 1 present
  EXPECT_FALSE(parse_sender_report(only_packet(sr_count)).has_value());
  Bytes rr_count = kRrNegativeLoss;
  rr_count[0] = 0x82;
  EXPECT_FALSE(parse_receiver_report(only_packet(rr_count)).has_value());

  Bytes sdes_long_item(kChromeSrSdes.begin() + 28, kChromeSrSdes.end());
  sdes_long_item[9] = 0x13;  // CNAME length 19: runs past the chunk
  EXPECT_FALSE(parse_sdes(only_packet(sdes_long_item)).has_value());
  Bytes sdes_no_end(kChromeSrSdes.begin() + 28, kChromeSrSdes.end());
  sdes_no_end[9] = 0x12;  // CNAME length 18 fills the packet: no terminating null octet
  EXPECT_FALSE(parse_sdes(only_packet(sdes_no_end)).has_value());
  Bytes sdes_two_chunks(kChromeSrSdes.begin() + 28, kChromeSrSdes.end());
  sdes_two_chunks[0] = 0x82;  // second chunk missing
  EXPECT_FALSE(parse_sdes(only_packet(sdes_two_chunks)).has_value());

  Bytes bye_reason = kByeWithReason;
  bye_reason[12] = 8;  // reason runs past the packet
  EXPECT_FALSE(parse_bye(only_packet(bye_reason)).has_value());
  Bytes bye_count = kByeWithReason;
  bye_count[0] = 0x85;  // 5 SSRCs announced, 4 words present
  EXPECT_FALSE(parse_bye(only_packet(bye_count)).has_value());
}

// --- feedback ---------------------------------------------------------------------------------

std::vector<uint16_t> lost_of(const GenericNack& nack) {
  std::vector<uint16_t> lost;
  nack.for_each_lost([&](uint16_t seq) { lost.push_back(seq); });
  return lost;
}

TEST(Rtcp, ParsesGenericNack) {
  const RtcpHeader header = only_packet(kNack);
  EXPECT_EQ(classify_rtcp(header), RtcpMessageKind::kGenericNack);
  const auto nack = parse_generic_nack(header);
  ASSERT_TRUE(nack.has_value());
  EXPECT_EQ(nack->sender_ssrc, 0x902f9e2eu);
  EXPECT_EQ(nack->media_ssrc, 0x902f9e2eu);
  ASSERT_EQ(nack->items.size(), 1u);
  EXPECT_EQ(nack->items[0], (NackItem{0xaaaa, 0x5555}));
  const std::vector<uint16_t> expected = {0xaaaa, 0xaaab, 0xaaad, 0xaaaf, 0xaab1,
                                          0xaab3, 0xaab5, 0xaab7, 0xaab9};
  EXPECT_EQ(lost_of(*nack), expected);
  EXPECT_EQ(nack->lost_count(), 9u);
  std::array<uint16_t, 4> first;
  EXPECT_EQ(nack->lost_sequence_numbers(first), 4u);
  EXPECT_EQ(first[3], 0xaaaf);
}

TEST(Rtcp, ExpandsNackAcrossWrap) {
  const auto nack = parse_generic_nack(only_packet(kNackWrap));
  ASSERT_TRUE(nack.has_value());
  EXPECT_EQ(nack->media_ssrc, 0x12345678u);
  EXPECT_EQ(lost_of(*nack), (std::vector<uint16_t>{65534, 65535, 0, 16, 32}));
}

TEST(Rtcp, ParsesFir) {
  const RtcpHeader header = only_packet(kFir);
  EXPECT_EQ(classify_rtcp(header), RtcpMessageKind::kFir);
  const auto fir = parse_fir(header);
  ASSERT_TRUE(fir.has_value());
  EXPECT_EQ(fir->media_ssrc, 0x4bc4fcb4u);
  EXPECT_EQ(std::vector<FirEntry>(fir->entries.begin(), fir->entries.end()),
            (std::vector<FirEntry>{{0x12345678, 0x42}, {0x98765432, 0x57}}));
  EXPECT_FALSE(parse_pli(header).has_value());
}

TEST(Rtcp, ParsesChromeRemb) {
  const RtcpHeader header = only_packet(kChromeRemb);
  EXPECT_EQ(classify_rtcp(header), RtcpMessageKind::kRemb);
  const auto remb = parse_remb(header);
  ASSERT_TRUE(remb.has_value());
  EXPECT_EQ(remb->sender_ssrc, 1u);
  EXPECT_EQ(remb->bitrate_bps, 8927168u);  // mantissa 139487, exponent 6
  ASSERT_EQ(remb->ssrcs.size(), 1u);
  EXPECT_EQ(remb->ssrcs[0], 1215622422u);
}

TEST(Rtcp, RembBitrateSaturatesAndRejectsBadLists) {
  Bytes max = kChromeRemb;
  max[17] = 0xff;  // exponent 63, mantissa 0x3ffff: more than 64 bits
  max[18] = 0xff;
  max[19] = 0xff;
  EXPECT_EQ(parse_remb(only_packet(max))->bitrate_bps, std::numeric_limits<uint64_t>::max());
  Bytes zero = kChromeRemb;
  zero[17] = 0xbc;  // exponent 47, mantissa 0
  zero[18] = 0;
  zero[19] = 0;
  EXPECT_EQ(parse_remb(only_packet(zero))->bitrate_bps, 0u);
  Bytes too_many = kChromeRemb;
  too_many[16] = 2;  // 2 SSRCs announced, 1 present
  EXPECT_FALSE(parse_remb(only_packet(too_many)).has_value());
  Bytes not_remb = kChromeRemb;
  not_remb[15] = 'X';
  EXPECT_FALSE(parse_remb(only_packet(not_remb)).has_value());
  EXPECT_EQ(classify_rtcp(only_packet(not_remb)), RtcpMessageKind::kOther);
}

TEST(Rtcp, RejectsFeedbackWithoutItems) {
  const Bytes empty_nack = {0x81, 0xcd, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2};
  EXPECT_FALSE(parse_generic_nack(only_packet(empty_nack)).has_value());
  const Bytes empty_fir = {0x84, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0};
  EXPECT_FALSE(parse_fir(only_packet(empty_fir)).has_value());
  const Bytes short_pli = {0x81, 0xce, 0x00, 0x01, 0, 0, 0, 1};
  EXPECT_FALSE(parse_pli(only_packet(short_pli)).has_value());
}

TEST(Rtcp, ParsesChromeTransportCc) {
  const RtcpHeader header = only_packet(kTwccChrome);
  EXPECT_EQ(classify_rtcp(header), RtcpMessageKind::kTransportCc);
  const auto twcc = parse_transport_cc(header);
  ASSERT_TRUE(twcc.has_value());
  EXPECT_EQ(twcc->sender_ssrc, 1u);
  EXPECT_EQ(twcc->media_ssrc, 0xdd586eb6u);
  EXPECT_EQ(twcc->base_sequence, 1);
  EXPECT_EQ(twcc->status_count, 9);
  EXPECT_EQ(twcc->reference_time, 6197520);
  EXPECT_EQ(twcc->reference_time_us(), 6197520ll * 64000);
  EXPECT_EQ(twcc->feedback_count, 0);
  EXPECT_EQ(twcc->received_count, 9);
  const std::vector<int32_t> deltas = {7000, 3000, 11000, 14000, 0, 1000, 0, 2000, 6000};
  const auto statuses = decode_all(*twcc);
  for (size_t i = 0; i < statuses.size(); ++i) {
    EXPECT_EQ(statuses[i], (TransportCcPacketStatus{static_cast<uint16_t>(1 + i), true, deltas[i]}));
  }
}

TEST(Rtcp, ParsesPionTransportCcExamples) {
  const auto one = parse_transport_cc(only_packet(kTwccPion1));
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->sender_ssrc, 4195875351u);
  EXPECT_EQ(one->media_ssrc, 1124282272u);
  EXPECT_EQ(one->base_sequence, 153);
  EXPECT_EQ(one->reference_time, 4057090);
  EXPECT_EQ(one->feedback_count, 23);
  EXPECT_EQ(decode_all(*one), (std::vector<TransportCcPacketStatus>{{153, true, 37000}}));

  const auto four = parse_transport_cc(only_packet(kTwccPion4));
  ASSERT_TRUE(four.has_value());
  EXPECT_EQ(four->base_sequence, 4);
  EXPECT_EQ(four->reference_time, 1074030);
  EXPECT_EQ(four->feedback_count, 1);
  std::vector<int32_t> deltas;
  for (const auto& status : decode_all(*four)) deltas.push_back(status.delta_us);
  EXPECT_EQ(deltas, (std::vector<int32_t>{19000, 9000, 9000, 4000, 3000, 3000, 4000}));
}

TEST(Rtcp, DecodesTwoBitVectorsLargeAndNegativeDeltas) {
  const auto twcc = parse_transport_cc(only_packet(kTwccTwoBit));
  ASSERT_TRUE(twcc.has_value());
  EXPECT_EQ(twcc->reference_time, -2);
  EXPECT_EQ(twcc->reference_time_us(), -128000);
  EXPECT_EQ(twcc->feedback_count, 7);
  EXPECT_EQ(twcc->received_count, 3);
  EXPECT_EQ(decode_all(*twcc), (std::vector<TransportCcPacketStatus>{
                                   {65534, true, 1000},
                                   {65535, false, 0},
                                   {0, true, -50000},
                                   {1, true, 256000},
                                   {2, false, 0},
                               }));
}

TEST(Rtcp, DecodesRunLengthAndOneBitVectors) {
  const auto twcc = parse_transport_cc(only_packet(kTwccVectors));
  ASSERT_TRUE(twcc.has_value());
  EXPECT_EQ(twcc->status_count, 235);
  EXPECT_EQ(twcc->received_count, 8);
  const auto statuses = decode_all(*twcc);
  for (size_t i = 0; i < 221; ++i) EXPECT_FALSE(statuses[i].received);
  const bool pattern[14] = {0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0};
  int32_t next_delta = 250;
  for (size_t i = 0; i < 14; ++i) {
    const auto& status = statuses[221 + i];
    EXPECT_EQ(status.sequence_number, 100 + 221 + i);
    EXPECT_EQ(status.received, pattern[i]);
    EXPECT_EQ(status.delta_us, pattern[i] ? next_delta : 0);
    if (pattern[i]) next_delta += 250;
  }
  std::array<TransportCcPacketStatus, 3> first;
  EXPECT_EQ(twcc->decode(first), 3u);
  EXPECT_EQ(first[2].sequence_number, 102);
}

TEST(Rtcp, RejectsMalformedTransportCc) {
  Bytes zero_count = kTwccChrome;
  zero_count[14] = 0;
  zero_count[15] = 0;
  EXPECT_FALSE(parse_transport_cc(only_packet(zero_count)).has_value());
  Bytes reserved = kTwccChrome;
  reserved[20] = 0x60;  // run-length chunk of the reserved symbol 3
  EXPECT_FALSE(parse_transport_cc(only_packet(reserved)).has_value());
  Bytes missing_deltas = kTwccChrome;
  missing_deltas[15] = 10;  // 10 packets but 9 deltas plus the padding byte (excluded)
  missing_deltas[21] = 10;
  EXPECT_FALSE(parse_transport_cc(only_packet(missing_deltas)).has_value());
  Bytes missing_chunks = kTwccVectors;
  missing_chunks[15] = 0xff;  // 255 statuses, chunks cover 235 and the deltas don't parse as more
  missing_chunks[24] = 0x7f;  // a reserved-symbol chunk where the chunk walk continues
  EXPECT_FALSE(parse_transport_cc(only_packet(missing_chunks)).has_value());
  Bytes large_missing = kTwccTwoBit;
  large_missing[0] = 0x8f;  // no padding: the final byte 0x01 would be a delta...
  large_missing[20] = 0xd2;
  large_missing[21] = 0xa0;  // ...but now three large deltas need 7 bytes after one small
  EXPECT_FALSE(parse_transport_cc(only_packet(large_missing)).has_value());
}

// --- in-place rewrites ------------------------------------------------------------------------

TEST(Rtcp, RewritesFeedbackAndSenderSsrcs) {
  Bytes nack = kNack;
  EXPECT_TRUE(rewrite_feedback_media_ssrc(nack, 0x01020304));
  EXPECT_TRUE(rewrite_feedback_sender_ssrc(nack, 0x0a0b0c0d));
  auto parsed = parse_generic_nack(only_packet(nack));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->media_ssrc, 0x01020304u);
  EXPECT_EQ(parsed->sender_ssrc, 0x0a0b0c0du);
  EXPECT_EQ(parsed->items[0], (NackItem{0xaaaa, 0x5555}));

  Bytes fir = kFir;
  EXPECT_TRUE(rewrite_feedback_media_ssrc(fir, 0x77777777));
  auto parsed_fir = parse_fir(only_packet(fir));
  ASSERT_TRUE(parsed_fir.has_value());
  EXPECT_EQ(parsed_fir->media_ssrc, 0x4bc4fcb4u);  // header field untouched
  EXPECT_EQ(parsed_fir->entries[0], (FirEntry{0x77777777, 0x42}));
  EXPECT_EQ(parsed_fir->entries[1], (FirEntry{0x77777777, 0x57}));

  Bytes compound = kFirefoxCompound;
  const auto packets = packets_of(compound);
  EXPECT_TRUE(rewrite_feedback_media_ssrc(mutable_rtcp_packet(compound, packets[3]), 0x55555555));
  EXPECT_EQ(parse_pli(packets_of(compound)[3])->media_ssrc, 0x55555555u);
  EXPECT_FALSE(rewrite_feedback_media_ssrc(mutable_rtcp_packet(compound, packets[0]), 1));  // RR

  Bytes sr = kChromeSrSdes;
  EXPECT_FALSE(rewrite_sender_report_ssrc(sr, 1));  // a compound, not one packet
  EXPECT_TRUE(rewrite_sender_report_ssrc(MutableByteSpan(sr).first(28), 0xdeadbeef));
  EXPECT_EQ(parse_sender_report(packets_of(sr)[0])->info.ssrc, 0xdeadbeefu);
  EXPECT_EQ(parse_sdes(packets_of(sr)[1])->cname(0x2b7ec0c5), "LcIfzXonDordSeW6");  // untouched

  Bytes remb = kChromeRemb;
  EXPECT_FALSE(rewrite_feedback_media_ssrc(remb, 1));
  EXPECT_EQ(remb, kChromeRemb);
  Bytes truncated(kNack.begin(), kNack.end() - 4);
  EXPECT_FALSE(rewrite_feedback_media_ssrc(truncated, 1));
}

// --- robustness -------------------------------------------------------------------------------

TEST(Rtcp, EveryTruncationOfEveryFixtureIsSafe) {
  for (const Bytes* fixture : all_fixtures()) {
    for (size_t length = 0; length <= fixture->size(); ++length) {
      exercise_compound(ByteSpan(fixture->data(), length));
    }
    // Shrink each packet's length field too, so the typed parsers see every shorter body.
    for (const RtcpHeader& header : packets_of(*fixture)) {
      for (uint16_t words = 0; words <= header.length_words; ++words) {
        Bytes shrunk(header.packet.begin(), header.packet.begin() + 4 * (words + 1));
        store_be16(shrunk.data() + 2, words);
        exercise_compound(shrunk);
      }
    }
  }
}

TEST(Rtcp, RandomInputNeverCrashes) {
  std::mt19937 rng(0x5eed);
  for (int iteration = 0; iteration < 4000; ++iteration) {
    Bytes bytes(rng() % 160);
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
    if (iteration % 2 == 0 && bytes.size() >= 4) {
      // A plausible header: version 2, a known packet type, a length that fits.
      bytes[0] = static_cast<uint8_t>(0x80 | (bytes[0] & 0x3F));
      bytes[1] = static_cast<uint8_t>(200 + rng() % 7);
      store_be16(bytes.data() + 2, static_cast<uint16_t>(bytes.size() / 4 - 1));
    }
    exercise_compound(bytes);
  }
}

TEST(Rtcp, MutatedFixturesNeverCrash) {
  std::mt19937 rng(42);
  const auto fixtures = all_fixtures();
  for (int iteration = 0; iteration < 4000; ++iteration) {
    Bytes bytes = *fixtures[rng() % fixtures.size()];
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) {
      // Leave the common header alone half the time so the body parsers get the mutations.
      const size_t first = iteration % 2 ? 4 : 0;
      bytes[first + rng() % (bytes.size() - first)] ^= static_cast<uint8_t>(1u << (rng() % 8));
    }
    exercise_compound(bytes);
  }
}

}  // namespace
}  // namespace sfu::rtp
