// RTCP build: the packets the server originates on its own clock or on loss: a receiver report per
// published stream, a generic NACK, a PLI, and a sender report + SDES CNAME compound per
// down-track. Each writes into a caller buffer and must not allocate.
#include <array>
#include <string_view>

#include "bench/micro/micro_support.h"
#include "rtp/rtcp_builder.h"

namespace sfu::bench {
namespace {

constexpr uint32_t kServerSsrc = 0x44444444;

rtp::ReportBlock report_block() {
  rtp::ReportBlock block;
  block.ssrc = kPublisherSsrc;
  block.fraction_lost = 3;
  block.cumulative_lost = 17;
  block.extended_highest_sequence = 0x0001'2345;
  block.jitter = 120;
  block.last_sr = 0x1234'5678;
  block.delay_since_last_sr = 0x0000'8000;
  return block;
}

// Builds into a buffer of a datagram's size once per iteration.
template <typename Build>
void run_build(benchmark::State& state, Build&& build) {
  std::array<uint8_t, 1500> out;
  run_op(state, AllocationPolicy::kMustNotAllocate, "the RTCP builder wrote nothing",
         [&] { return build(MutableByteSpan(out)); });
}

void BM_RtcpReceiverReport(benchmark::State& state) {
  const std::array<rtp::ReportBlock, 1> blocks = {report_block()};
  run_build(state, [&](MutableByteSpan out) { return rtp::build_receiver_report(kServerSsrc, blocks, out); });
}

void BM_RtcpGenericNack(benchmark::State& state) {
  // Two bursts of loss: two (PID, BLP) items.
  const std::array<uint16_t, 6> lost = {1000, 1001, 1003, 1010, 1040, 1041};
  run_build(state, [&](MutableByteSpan out) {
    return rtp::build_generic_nack(kServerSsrc, kPublisherSsrc, lost, out);
  });
}

void BM_RtcpPli(benchmark::State& state) {
  run_build(state, [&](MutableByteSpan out) { return rtp::build_pli(kServerSsrc, kPublisherSsrc, out); });
}

void BM_RtcpSenderReportSdes(benchmark::State& state) {
  rtp::SenderInfo info;
  info.ssrc = 0x22222222;
  info.ntp_timestamp = 0xE8A1'2345'6789'ABCDull;
  info.rtp_timestamp = 90000;
  info.packet_count = 1234;
  info.octet_count = 1'234'567;
  const std::string_view cname = "sfu-3f2a9c1e";
  run_build(state, [&](MutableByteSpan out) {
    size_t sr = rtp::build_sender_report(info, {}, out);
    size_t sdes = sr > 0 ? rtp::build_sdes_cname(info.ssrc, cname, out.subspan(sr)) : 0;
    return sdes > 0 ? sr + sdes : 0;
  });
}

BENCHMARK(BM_RtcpReceiverReport);
BENCHMARK(BM_RtcpGenericNack);
BENCHMARK(BM_RtcpPli);
BENCHMARK(BM_RtcpSenderReportSdes);

}  // namespace
}  // namespace sfu::bench
