// Writers for the RTCP packets the server originates. Each writes one packet at the start of
// `out` and returns its size in bytes, or 0 (writing nothing useful) when `out` is too small or
// the input cannot be encoded. A compound is built by calling them on consecutive subspans.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "base/bytes.h"
#include "rtp/rtcp_parser.h"

namespace sfu::rtp {

// SR with up to 31 report blocks (RFC 3550 section 6.4.1).
size_t build_sender_report(const SenderInfo& info, std::span<const ReportBlock> blocks, MutableByteSpan out);

// RR with up to 31 report blocks (RFC 3550 section 6.4.2).
size_t build_receiver_report(uint32_t sender_ssrc, std::span<const ReportBlock> blocks, MutableByteSpan out);

// SDES with one chunk holding one CNAME item of at most 255 bytes.
size_t build_sdes_cname(uint32_t ssrc, std::string_view cname, MutableByteSpan out);

// BYE for up to 31 SSRCs, with an optional reason of at most 255 bytes.
size_t build_bye(std::span<const uint32_t> ssrcs, std::string_view reason, MutableByteSpan out);

// Generic NACK (RFC 4585 section 6.2.1). Packs the sequence numbers into (PID, BLP) items: each
// number within 1..16 after the current item's PID sets a bit, any other starts a new item. The
// packing is tightest when `lost` is in increasing (wrap-aware) order. Needs at least one number.
size_t build_generic_nack(uint32_t sender_ssrc, uint32_t media_ssrc, std::span<const uint16_t> lost,
                          MutableByteSpan out);

// PLI (RFC 4585 section 6.3.1).
size_t build_pli(uint32_t sender_ssrc, uint32_t media_ssrc, MutableByteSpan out);

// FIR (RFC 5104 section 4.3.1); the header's media SSRC is 0 as the RFC requires.
size_t build_fir(uint32_t sender_ssrc, std::span<const FirEntry> entries, MutableByteSpan out);

// REMB with up to 255 SSRCs. The bitrate is encoded with an 18-bit mantissa, rounding down.
size_t build_remb(uint32_t sender_ssrc, uint64_t bitrate_bps, std::span<const uint32_t> ssrcs,
                  MutableByteSpan out);

// Transport-wide congestion control feedback. `packets` are consecutive sequence numbers starting
// at packets[0].sequence_number (1..65535 of them); delta_us of received packets is rounded to
// 250 us and must fit a signed 16-bit count of those. The packet is padded to 32 bits with RTCP
// padding (P bit), as Chrome does.
struct TransportCcFields {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;
  int32_t reference_time = 0;  // 24-bit signed, in units of 64 ms
  uint8_t feedback_count = 0;
};
size_t build_transport_cc(const TransportCcFields& fields, std::span<const TransportCcPacketStatus> packets,
                          MutableByteSpan out);

}  // namespace sfu::rtp
