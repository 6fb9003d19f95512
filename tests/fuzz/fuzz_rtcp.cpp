// RTCP compound walking and every typed parser.
#include <cstdint>
#include <vector>

#include "rtp/rtcp_packet.h"
#include "rtp/rtcp_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sfu::rtp::RtcpCompoundIterator packets(sfu::ByteSpan(data, size));
  sfu::rtp::RtcpHeader header;
  std::vector<sfu::rtp::TransportCcPacketStatus> statuses(1024);
  std::vector<uint16_t> lost(512);
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
    sfu::rtp::parse_remb(header);
    if (auto twcc = sfu::rtp::parse_transport_cc(header)) twcc->decode(statuses);
  }
  return 0;
}
