#include "rtp/rtcp_builder.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace sfu::rtp {
namespace {

constexpr size_t kMaxReportBlocks = 31;  // the 5-bit count field
constexpr size_t kMaxRtcpSize = 4 * (size_t{0xFFFF} + 1);
constexpr uint32_t kRembMaxMantissa = 0x3FFFF;  // 18 bits

// Appends big-endian fields to a caller buffer and remembers whether anything overflowed, so the
// builders can write first and check once.
class RtcpWriter {
 public:
  explicit RtcpWriter(MutableByteSpan out) : out_(out) {}

  bool reserve(size_t n) {
    if (!ok_ || out_.size() - position_ < n) ok_ = false;
    return ok_;
  }
  void u8(uint8_t v) {
    if (reserve(1)) out_[position_++] = v;
  }
  void u16(uint16_t v) {
    if (!reserve(2)) return;
    store_be16(out_.data() + position_, v);
    position_ += 2;
  }
  void u24(uint32_t v) {
    if (!reserve(3)) return;
    store_be24(out_.data() + position_, v);
    position_ += 3;
  }
  void u32(uint32_t v) {
    if (!reserve(4)) return;
    store_be32(out_.data() + position_, v);
    position_ += 4;
  }
  void bytes(const void* data, size_t n) {
    if (n == 0 || !reserve(n)) return;
    std::memcpy(out_.data() + position_, data, n);
    position_ += n;
  }
  void zeros(size_t n) {
    if (n == 0 || !reserve(n)) return;
    std::memset(out_.data() + position_, 0, n);
    position_ += n;
  }
  // Reserves the 4-byte common header, filled in by finish().
  void begin(uint8_t count, RtcpPacketType type) {
    count_ = count;
    type_ = static_cast<uint8_t>(type);
    zeros(kRtcpHeaderSize);
  }
  // Pads to 32 bits (zeros, or RTCP padding with the P bit when `rtcp_padding`), fills in the
  // header and returns the packet size, or 0 on overflow.
  size_t finish(bool rtcp_padding = false) {
    const size_t pad = (4 - position_ % 4) % 4;
    if (pad > 0 && rtcp_padding) {
      zeros(pad - 1);
      u8(static_cast<uint8_t>(pad));
    } else {
      zeros(pad);
    }
    if (!ok_ || position_ > kMaxRtcpSize) return 0;
    out_[0] = static_cast<uint8_t>(0x80 | (rtcp_padding && pad > 0 ? 0x20 : 0) | count_);
    out_[1] = type_;
    store_be16(out_.data() + 2, static_cast<uint16_t>(position_ / 4 - 1));
    return position_;
  }

 private:
  MutableByteSpan out_;
  size_t position_ = 0;
  bool ok_ = true;
  uint8_t count_ = 0;
  uint8_t type_ = 0;
};

void write_report_blocks(RtcpWriter& w, std::span<const ReportBlock> blocks) {
  for (const ReportBlock& block : blocks) {
    if (!w.reserve(ReportBlock::kSize)) return;
    uint8_t encoded[ReportBlock::kSize];
    block.encode(encoded);
    w.bytes(encoded, sizeof(encoded));
  }
}

// Rounds to the nearest multiple of 250 us, in units of 250 us.
int64_t delta_ticks(int32_t delta_us) {
  const int64_t us = delta_us;
  const int64_t unit = TransportCc::kDeltaUnitUs;
  return us >= 0 ? (us + unit / 2) / unit : -((-us + unit / 2) / unit);
}

}  // namespace

size_t build_sender_report(const SenderInfo& info, std::span<const ReportBlock> blocks, MutableByteSpan out) {
  if (blocks.size() > kMaxReportBlocks) return 0;
  RtcpWriter w(out);
  w.begin(static_cast<uint8_t>(blocks.size()), RtcpPacketType::kSenderReport);
  w.u32(info.ssrc);
  w.u32(static_cast<uint32_t>(info.ntp_timestamp >> 32));
  w.u32(static_cast<uint32_t>(info.ntp_timestamp));
  w.u32(info.rtp_timestamp);
  w.u32(info.packet_count);
  w.u32(info.octet_count);
  write_report_blocks(w, blocks);
  return w.finish();
}

size_t build_receiver_report(uint32_t sender_ssrc, std::span<const ReportBlock> blocks, MutableByteSpan out) {
  if (blocks.size() > kMaxReportBlocks) return 0;
  RtcpWriter w(out);
  w.begin(static_cast<uint8_t>(blocks.size()), RtcpPacketType::kReceiverReport);
  w.u32(sender_ssrc);
  write_report_blocks(w, blocks);
  return w.finish();
}

size_t build_sdes_cname(uint32_t ssrc, std::string_view cname, MutableByteSpan out) {
  if (cname.size() > 255) return 0;
  RtcpWriter w(out);
  w.begin(1, RtcpPacketType::kSdes);
  w.u32(ssrc);
  w.u8(static_cast<uint8_t>(SdesItemType::kCname));
  w.u8(static_cast<uint8_t>(cname.size()));
  w.bytes(cname.data(), cname.size());
  w.u8(static_cast<uint8_t>(SdesItemType::kEnd));  // finish() adds the null padding
  return w.finish();
}

size_t build_bye(std::span<const uint32_t> ssrcs, std::string_view reason, MutableByteSpan out) {
  if (ssrcs.size() > kMaxReportBlocks || reason.size() > 255) return 0;
  RtcpWriter w(out);
  w.begin(static_cast<uint8_t>(ssrcs.size()), RtcpPacketType::kBye);
  for (uint32_t ssrc : ssrcs) w.u32(ssrc);
  if (!reason.empty()) {
    w.u8(static_cast<uint8_t>(reason.size()));
    w.bytes(reason.data(), reason.size());
  }
  return w.finish();
}

size_t build_generic_nack(uint32_t sender_ssrc, uint32_t media_ssrc, std::span<const uint16_t> lost,
                          MutableByteSpan out) {
  if (lost.empty()) return 0;
  RtcpWriter w(out);
  w.begin(kFmtGenericNack, RtcpPacketType::kRtpFeedback);
  w.u32(sender_ssrc);
  w.u32(media_ssrc);
  uint16_t packet_id = lost[0];
  uint16_t bitmask = 0;
  for (size_t i = 1; i < lost.size(); ++i) {
    const uint16_t distance = static_cast<uint16_t>(lost[i] - packet_id);
    if (distance == 0) continue;
    if (distance <= 16) {
      bitmask = static_cast<uint16_t>(bitmask | (1u << (distance - 1)));
      continue;
    }
    w.u16(packet_id);
    w.u16(bitmask);
    packet_id = lost[i];
    bitmask = 0;
  }
  w.u16(packet_id);
  w.u16(bitmask);
  return w.finish();
}

size_t build_pli(uint32_t sender_ssrc, uint32_t media_ssrc, MutableByteSpan out) {
  RtcpWriter w(out);
  w.begin(kFmtPli, RtcpPacketType::kPayloadFeedback);
  w.u32(sender_ssrc);
  w.u32(media_ssrc);
  return w.finish();
}

size_t build_fir(uint32_t sender_ssrc, std::span<const FirEntry> entries, MutableByteSpan out) {
  if (entries.empty()) return 0;
  RtcpWriter w(out);
  w.begin(kFmtFir, RtcpPacketType::kPayloadFeedback);
  w.u32(sender_ssrc);
  w.u32(0);
  for (const FirEntry& entry : entries) {
    w.u32(entry.ssrc);
    w.u8(entry.sequence_number);
    w.zeros(3);
  }
  return w.finish();
}

size_t build_remb(uint32_t sender_ssrc, uint64_t bitrate_bps, std::span<const uint32_t> ssrcs,
                  MutableByteSpan out) {
  if (ssrcs.size() > 255) return 0;
  unsigned exponent = 0;
  while ((bitrate_bps >> exponent) > kRembMaxMantissa) ++exponent;
  const uint32_t mantissa = static_cast<uint32_t>(bitrate_bps >> exponent);
  RtcpWriter w(out);
  w.begin(kFmtAfb, RtcpPacketType::kPayloadFeedback);
  w.u32(sender_ssrc);
  w.u32(0);
  w.bytes("REMB", 4);
  w.u8(static_cast<uint8_t>(ssrcs.size()));
  w.u8(static_cast<uint8_t>((exponent << 2) | (mantissa >> 16)));
  w.u16(static_cast<uint16_t>(mantissa));
  for (uint32_t ssrc : ssrcs) w.u32(ssrc);
  return w.finish();
}

// NOLINTNEXTLINE(readability-function-cognitive-complexity): writes the transport-cc feedback chunks (run length and status vector) in wire order.
size_t build_transport_cc(const TransportCcFields& fields, std::span<const TransportCcPacketStatus> packets,
                          MutableByteSpan out) {
  const size_t n = packets.size();
  if (n == 0 || n > 0xFFFF || fields.reference_time < -0x800000 || fields.reference_time > 0x7FFFFF) return 0;
  const uint16_t base = packets[0].sequence_number;
  for (size_t i = 0; i < n; ++i) {
    if (packets[i].sequence_number != static_cast<uint16_t>(base + i)) return 0;
    if (!packets[i].received) continue;
    const int64_t ticks = delta_ticks(packets[i].delta_us);
    if (ticks < std::numeric_limits<int16_t>::min() || ticks > std::numeric_limits<int16_t>::max()) return 0;
  }
  auto symbol = [&](size_t i) -> uint16_t {
    if (!packets[i].received) return 0;
    const int64_t ticks = delta_ticks(packets[i].delta_us);
    return ticks >= 0 && ticks <= 255 ? 1 : 2;
  };

  RtcpWriter w(out);
  w.begin(kFmtTransportCc, RtcpPacketType::kRtpFeedback);
  w.u32(fields.sender_ssrc);
  w.u32(fields.media_ssrc);
  w.u16(base);
  w.u16(static_cast<uint16_t>(n));
  w.u24(static_cast<uint32_t>(fields.reference_time) & 0xFFFFFF);
  w.u8(fields.feedback_count);

  // Chunks: a run-length chunk for 7 or more equal symbols, else a 14-symbol one-bit vector when
  // no large delta is among them, else a 7-symbol two-bit vector. Unused trailing vector slots are
  // zero; the receiver stops at the status count.
  for (size_t i = 0; i < n;) {
    size_t run = 1;
    while (i + run < n && run < 0x1FFF && symbol(i + run) == symbol(i)) ++run;
    if (run >= 7) {
      w.u16(static_cast<uint16_t>((symbol(i) << 13) | run));
      i += run;
      continue;
    }
    const size_t one_bit = std::min<size_t>(14, n - i);
    bool fits_one_bit = true;
    for (size_t k = 0; k < one_bit; ++k) fits_one_bit = fits_one_bit && symbol(i + k) <= 1;
    uint16_t chunk = 0x8000;
    if (fits_one_bit) {
      for (size_t k = 0; k < one_bit; ++k) chunk = static_cast<uint16_t>(chunk | (symbol(i + k) << (13 - k)));
      i += one_bit;
    } else {
      chunk |= 0x4000;
      const size_t two_bit = std::min<size_t>(7, n - i);
      for (size_t k = 0; k < two_bit; ++k)
        chunk = static_cast<uint16_t>(chunk | (symbol(i + k) << (12 - 2 * k)));
      i += two_bit;
    }
    w.u16(chunk);
  }
  for (size_t i = 0; i < n; ++i) {
    const uint16_t s = symbol(i);
    const int64_t ticks = delta_ticks(packets[i].delta_us);
    if (s == 1) w.u8(static_cast<uint8_t>(ticks));
    if (s == 2) w.u16(static_cast<uint16_t>(static_cast<int16_t>(ticks)));
  }
  return w.finish(/*rtcp_padding=*/true);
}

}  // namespace sfu::rtp
