// Tests for rtp/rtcp_builder.h: byte-exact reproduction of captured packets, and builder -> parser
// round trips. The captures (sources in rtcp_test_support.h, shared with the parser tests): Chrome's
// SR + SDES (pion/rtcp issue #447), Chrome's REMB (pion/rtcp), a Chrome transport-cc feedback
// (olivermichel/webrtc-analysis) and Firefox's PLI (pion/rtcp reader_test.go).

#include "rtp/rtcp_builder.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "rtp/rtcp_packet.h"
#include "rtp/rtcp_parser.h"
#include "tests/unit/rtp/rtcp_test_support.h"

namespace sfu::rtp {
namespace {

using namespace test;

// clang-format off
const Bytes kFirefoxPli = {0x81, 0xce, 0x00, 0x02, 0x90, 0x2f, 0x9e, 0x2e, 0x90, 0x2f, 0x9e, 0x2e};
// clang-format on

using Build = std::function<size_t(MutableByteSpan)>;

// Builds into an exact-size heap buffer after checking that every smaller buffer is refused.
Bytes build_checked(const Build& build) {
  Bytes big(4096);
  const size_t size = build(big);
  EXPECT_GT(size, 0u);
  EXPECT_EQ(size % 4, 0u);
  for (size_t smaller = 0; smaller < size; ++smaller) {
    Bytes small(smaller);
    EXPECT_EQ(build(small), 0u) << "buffer of " << smaller << " accepted";
  }
  Bytes exact(size);
  EXPECT_EQ(build(exact), size);
  return exact;
}

TEST(RtcpBuilder, ReproducesChromeSrSdesCompound) {
  const SenderInfo info{0x2b7ec0c5, 0xe020a2a952a53fc0, 0x2e48a552, 70, 4637};
  const Bytes sr = build_checked([&](MutableByteSpan out) { return build_sender_report(info, {}, out); });
  const Bytes sdes = build_checked(
      [&](MutableByteSpan out) { return build_sdes_cname(0x2b7ec0c5, "LcIfzXonDordSeW6", out); });
  Bytes compound = sr;
  compound.insert(compound.end(), sdes.begin(), sdes.end());
  EXPECT_EQ(compound, kChromeSrSdes);
}

TEST(RtcpBuilder, ReproducesChromeRemb) {
  const uint32_t ssrcs[] = {1215622422};
  EXPECT_EQ(build_checked([&](MutableByteSpan out) { return build_remb(1, 8927168, ssrcs, out); }),
            kChromeRemb);
}

TEST(RtcpBuilder, ReproducesChromeTransportCc) {
  std::vector<TransportCcPacketStatus> packets;
  const int32_t deltas[] = {7000, 3000, 11000, 14000, 0, 1000, 0, 2000, 6000};
  for (int i = 0; i < 9; ++i) packets.push_back({static_cast<uint16_t>(1 + i), true, deltas[i]});
  const TransportCcFields fields{1, 0xdd586eb6, 6197520, 0};
  EXPECT_EQ(build_checked([&](MutableByteSpan out) { return build_transport_cc(fields, packets, out); }),
            kTwccChrome);
}

TEST(RtcpBuilder, ReproducesFirefoxPli) {
  EXPECT_EQ(build_checked([](MutableByteSpan out) { return build_pli(0x902f9e2e, 0x902f9e2e, out); }),
            kFirefoxPli);
}

std::vector<NackItem> nack_items(const std::vector<uint16_t>& lost) {
  const Bytes packet =
      build_checked([&](MutableByteSpan out) { return build_generic_nack(1, 2, lost, out); });
  const auto nack = parse_generic_nack(only_packet(packet));
  EXPECT_TRUE(nack.has_value());
  if (!nack) return {};
  EXPECT_EQ(nack->sender_ssrc, 1u);
  EXPECT_EQ(nack->media_ssrc, 2u);
  return std::vector<NackItem>(nack->items.begin(), nack->items.end());
}

TEST(RtcpBuilder, PacksNackItems) {
  EXPECT_EQ(nack_items({100}), (std::vector<NackItem>{{100, 0}}));
  EXPECT_EQ(nack_items({100, 101, 105, 115}), (std::vector<NackItem>{{100, 0x4011}}));
  EXPECT_EQ(nack_items({100, 116}), (std::vector<NackItem>{{100, 0x8000}}));
  EXPECT_EQ(nack_items({100, 117, 500, 501, 502}), (std::vector<NackItem>{{100, 0}, {117, 0}, {500, 3}}));
  EXPECT_EQ(nack_items({65535, 0, 1}), (std::vector<NackItem>{{65535, 3}}));
  EXPECT_EQ(nack_items({7, 7, 8}), (std::vector<NackItem>{{7, 1}}));  // duplicates fold
  Bytes out(100);
  EXPECT_EQ(build_generic_nack(1, 2, {}, out), 0u);
}

TEST(RtcpBuilder, NackRoundTripsRandomLossPatterns) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<uint16_t> lost;
    uint16_t seq = static_cast<uint16_t>(rng());
    const size_t count = 1 + rng() % 60;
    for (size_t i = 0; i < count; ++i) {
      lost.push_back(seq);
      seq = static_cast<uint16_t>(seq + 1 + rng() % (rng() % 4 == 0 ? 40 : 3));
    }
    Bytes out(1024);
    const size_t size = build_generic_nack(3, 4, lost, out);
    ASSERT_GT(size, 0u);
    out.resize(size);
    const auto nack = parse_generic_nack(only_packet(out));
    ASSERT_TRUE(nack.has_value());
    std::vector<uint16_t> expanded(nack->lost_count());
    nack->lost_sequence_numbers(expanded);
    EXPECT_EQ(expanded, lost);
  }
}

TEST(RtcpBuilder, ReportsRoundTrip) {
  const std::vector<ReportBlock> blocks = {
      {0x11111111, 255, 0x7FFFFF, 0xFFFFFFFF, 1, 2, 3},
      {0x22222222, 0, -0x800000, 65536, 4, 5, 6},
  };
  const SenderInfo info{0x33333333, 0x0102030405060708, 9, 10, 11};
  const Bytes sr = build_checked([&](MutableByteSpan out) { return build_sender_report(info, blocks, out); });
  const auto parsed_sr = parse_sender_report(only_packet(sr));
  ASSERT_TRUE(parsed_sr.has_value());
  EXPECT_EQ(parsed_sr->info, info);
  EXPECT_EQ(std::vector<ReportBlock>(parsed_sr->report_blocks.begin(), parsed_sr->report_blocks.end()),
            blocks);

  std::vector<ReportBlock> many(31, ReportBlock{1, 2, -3, 4, 5, 6, 7});
  const Bytes rr = build_checked([&](MutableByteSpan out) { return build_receiver_report(0x44, many, out); });
  const auto parsed_rr = parse_receiver_report(only_packet(rr));
  ASSERT_TRUE(parsed_rr.has_value());
  EXPECT_EQ(parsed_rr->sender_ssrc, 0x44u);
  EXPECT_EQ(std::vector<ReportBlock>(parsed_rr->report_blocks.begin(), parsed_rr->report_blocks.end()), many);

  many.push_back({});
  Bytes out(4096);
  EXPECT_EQ(build_receiver_report(1, many, out), 0u);
  EXPECT_EQ(build_sender_report(info, many, out), 0u);
}

TEST(RtcpBuilder, ClampsCumulativeLost) {
  const ReportBlock blocks[] = {{1, 0, 10'000'000, 0, 0, 0, 0}, {2, 0, -10'000'000, 0, 0, 0, 0}};
  Bytes out(4096);
  out.resize(build_receiver_report(1, blocks, out));
  const auto rr = parse_receiver_report(only_packet(out));
  ASSERT_TRUE(rr.has_value());
  EXPECT_EQ(rr->report_blocks[0].cumulative_lost, 0x7FFFFF);
  EXPECT_EQ(rr->report_blocks[1].cumulative_lost, -0x800000);
}

TEST(RtcpBuilder, SdesCnameOfEveryLengthIsAligned) {
  for (size_t length = 0; length <= 40; ++length) {
    const std::string cname(length, static_cast<char>('a' + length % 26));
    const Bytes sdes = build_checked([&](MutableByteSpan out) { return build_sdes_cname(77, cname, out); });
    EXPECT_EQ(sdes.size(), (4 + 4 + 2 + length + 1 + 3) / 4 * 4);
    const auto parsed = parse_sdes(only_packet(sdes));
    ASSERT_TRUE(parsed.has_value()) << length;
    EXPECT_EQ(parsed->cname(77), cname);
  }
  Bytes out(1024);
  EXPECT_EQ(build_sdes_cname(1, std::string(256, 'x'), out), 0u);
  const std::string longest(255, 'y');
  out.resize(build_sdes_cname(1, longest, out));
  EXPECT_EQ(parse_sdes(only_packet(out))->cname(), longest);
}

TEST(RtcpBuilder, ByeRoundTrips) {
  const uint32_t ssrcs[] = {5, 6, 7};
  for (const std::string reason : {"", "x", "call ended", "bye!"}) {
    const Bytes bye = build_checked([&](MutableByteSpan out) { return build_bye(ssrcs, reason, out); });
    const auto parsed = parse_bye(only_packet(bye));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(std::vector<uint32_t>(parsed->ssrcs.begin(), parsed->ssrcs.end()),
              (std::vector<uint32_t>{5, 6, 7}));
    EXPECT_EQ(parsed->reason, reason);
  }
  const std::vector<uint32_t> too_many(32, 1);
  Bytes out(1024);
  EXPECT_EQ(build_bye(too_many, "", out), 0u);
}

TEST(RtcpBuilder, FirRoundTrips) {
  const FirEntry entries[] = {{0xabcdef01, 1}, {0x12345678, 255}};
  const Bytes fir = build_checked([&](MutableByteSpan out) { return build_fir(9, entries, out); });
  const auto parsed = parse_fir(only_packet(fir));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->sender_ssrc, 9u);
  EXPECT_EQ(parsed->media_ssrc, 0u);
  EXPECT_EQ(std::vector<FirEntry>(parsed->entries.begin(), parsed->entries.end()),
            std::vector<FirEntry>(std::begin(entries), std::end(entries)));
  Bytes out(100);
  EXPECT_EQ(build_fir(9, {}, out), 0u);
}

TEST(RtcpBuilder, RembRoundsBitrateDown) {
  const uint32_t ssrcs[] = {1, 2, 3};
  const uint64_t bitrates[] = {0,
                               1,
                               262143,
                               262144,
                               1'000'000,
                               8'927'167,
                               2'500'000'000ull,
                               (1ull << 40) + 12345,
                               std::numeric_limits<uint64_t>::max()};
  for (uint64_t bitrate : bitrates) {
    const Bytes remb = build_checked([&](MutableByteSpan out) { return build_remb(4, bitrate, ssrcs, out); });
    const auto parsed = parse_remb(only_packet(remb));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_LE(parsed->bitrate_bps, bitrate);
    EXPECT_GE(parsed->bitrate_bps, bitrate - bitrate / (1u << 17)) << bitrate;  // 18-bit mantissa
    EXPECT_EQ(parsed->ssrcs.size(), 3u);
  }
  // Exactly representable values survive unchanged.
  Bytes out(100);
  out.resize(build_remb(4, 8927168, ssrcs, out));
  EXPECT_EQ(parse_remb(only_packet(out))->bitrate_bps, 8927168u);
}

TEST(RtcpBuilder, TransportCcRoundTripsRandomFeedback) {
  std::mt19937 rng(11);
  for (int round = 0; round < 300; ++round) {
    const size_t n = 1 + rng() % (round % 10 == 0 ? 2000 : 60);
    std::vector<TransportCcPacketStatus> packets(n);
    std::vector<TransportCcPacketStatus> expected(n);
    const uint16_t base = static_cast<uint16_t>(rng());
    const int mode = static_cast<int>(rng() % 4);  // bursts of loss, all received, mixed, large deltas
    bool lost_burst = false;
    for (size_t i = 0; i < n; ++i) {
      if (rng() % 16 == 0) lost_burst = !lost_burst;
      const bool received = mode == 1 || (mode == 0 ? !lost_burst : rng() % 3 != 0);
      int32_t delta = 0;
      if (received) {
        delta = mode == 3 ? static_cast<int32_t>(rng() % 16'000'000) - 8'000'000
                          : static_cast<int32_t>(rng() % 70'000) - (rng() % 8 == 0 ? 30'000 : 0);
      }
      packets[i] = {static_cast<uint16_t>(base + i), received, delta};
      const int32_t rounded = delta >= 0 ? (delta + 125) / 250 * 250 : -((-delta + 125) / 250 * 250);
      expected[i] = {static_cast<uint16_t>(base + i), received, received ? rounded : 0};
    }
    const TransportCcFields fields{5, 6, static_cast<int32_t>(rng() % 0x1000000) - 0x800000,
                                   static_cast<uint8_t>(round)};
    Bytes out(8192);
    const size_t size = build_transport_cc(fields, packets, out);
    ASSERT_GT(size, 0u);
    out.resize(size);
    const auto parsed = parse_transport_cc(only_packet(out));
    ASSERT_TRUE(parsed.has_value()) << "round " << round;
    EXPECT_EQ(parsed->reference_time, fields.reference_time);
    EXPECT_EQ(parsed->feedback_count, fields.feedback_count);
    EXPECT_EQ(parsed->base_sequence, base);
    std::vector<TransportCcPacketStatus> decoded(n);
    ASSERT_EQ(parsed->decode(decoded), n);
    ASSERT_EQ(decoded, expected) << "round " << round;
  }
}

TEST(RtcpBuilder, TransportCcRejectsUnencodableInput) {
  Bytes out(1024);
  const TransportCcFields fields{};
  EXPECT_EQ(build_transport_cc(fields, {}, out), 0u);
  const TransportCcPacketStatus too_late[] = {{1, true, 8'192'000}};  // 32768 ticks
  EXPECT_EQ(build_transport_cc(fields, too_late, out), 0u);
  const TransportCcPacketStatus too_early[] = {{1, true, -8'192'200}};
  EXPECT_EQ(build_transport_cc(fields, too_early, out), 0u);
  const TransportCcPacketStatus edges[] = {{1, true, 8'191'750}, {2, true, -8'192'000}};
  EXPECT_GT(build_transport_cc(fields, edges, out), 0u);
  const TransportCcPacketStatus gap[] = {{1, true, 0}, {3, true, 0}};
  EXPECT_EQ(build_transport_cc(fields, gap, out), 0u);
  const TransportCcPacketStatus one[] = {{1, true, 0}};
  EXPECT_EQ(build_transport_cc(TransportCcFields{0, 0, 0x800000, 0}, one, out), 0u);
}

TEST(RtcpBuilder, BuildsACompoundThatParsesBack) {
  Bytes buffer(1500);
  MutableByteSpan rest(buffer);
  size_t used = 0;
  auto append = [&](size_t size) {
    ASSERT_GT(size, 0u);
    used += size;
    rest = rest.subspan(size);
  };
  const ReportBlock block{10, 1, 2, 3, 4, 5, 6};
  const uint16_t lost[] = {1, 2, 3};
  const uint32_t remb_ssrcs[] = {10};
  const TransportCcPacketStatus statuses[] = {{7, true, 250}, {8, false, 0}, {9, true, -250}};
  append(build_receiver_report(1, std::span(&block, 1), rest));
  append(build_sdes_cname(1, "sfu", rest));
  append(build_pli(1, 10, rest));
  append(build_generic_nack(1, 10, lost, rest));
  append(build_remb(1, 1'500'000, remb_ssrcs, rest));
  append(build_transport_cc({1, 10, 0, 1}, statuses, rest));
  buffer.resize(used);

  std::vector<RtcpMessageKind> kinds;
  RtcpCompoundIterator it(buffer);
  RtcpHeader header;
  while (it.next(header)) kinds.push_back(classify_rtcp(header));
  EXPECT_EQ(it.error(), RtcpError::kNone);
  EXPECT_EQ(kinds, (std::vector<RtcpMessageKind>{RtcpMessageKind::kReceiverReport, RtcpMessageKind::kSdes,
                                                 RtcpMessageKind::kPli, RtcpMessageKind::kGenericNack,
                                                 RtcpMessageKind::kRemb, RtcpMessageKind::kTransportCc}));
}

}  // namespace
}  // namespace sfu::rtp
