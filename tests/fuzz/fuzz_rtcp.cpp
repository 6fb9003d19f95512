// RTCP compound walking and every typed parser, and the send-side bandwidth estimator reading
// whatever transport-cc feedback and REMB parse (against a history of packets it "sent").
#include <cstdint>
#include <vector>

#include "rtp/rtcp_packet.h"
#include "rtp/rtcp_parser.h"
#include "rtp/send_side_bwe.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sfu::rtp::RtcpCompoundIterator packets(sfu::ByteSpan(data, size));
  sfu::rtp::RtcpHeader header;
  std::vector<sfu::rtp::TransportCcPacketStatus> statuses(1024);
  std::vector<uint16_t> lost(512);
  // Sequence numbers 0..2047 sent, 1 ms apart (the history's capacity).
  sfu::rtp::SendSideBwe bwe;
  for (int64_t s = 0; s < 2048; ++s) bwe.on_packet_sent(s, s * 1000, 1200);
  int64_t now_us = 2'100'000;
  while (packets.next(header)) {
    if (auto sr = sfu::rtp::parse_sender_report(header))
      for (const auto& block : sr->report_blocks) (void)block;
    if (auto rr = sfu::rtp::parse_receiver_report(header))
      for (const auto& block : rr->report_blocks) (void)block;
    if (auto sdes = sfu::rtp::parse_sdes(header)) sdes->cname();
    sfu::rtp::parse_bye(header);
    if (auto nack = sfu::rtp::parse_generic_nack(header)) nack->lost_sequence_numbers(lost);
    sfu::rtp::parse_pli(header);
    if (auto fir = sfu::rtp::parse_fir(header))
      for (const auto& entry : fir->entries) (void)entry;
    if (auto remb = sfu::rtp::parse_remb(header)) bwe.on_remb(remb->bitrate_bps, now_us);
    if (auto twcc = sfu::rtp::parse_transport_cc(header)) {
      twcc->decode(statuses);
      bwe.on_transport_cc(*twcc, now_us += 1000);
    }
  }
  return 0;
}
