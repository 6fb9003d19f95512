#include "rtp/rtcp_parser.h"

#include <algorithm>
#include <bit>
#include <limits>

namespace sfu::rtp {
namespace {

constexpr size_t kSenderInfoSize = 24;    // SSRC + NTP (8) + RTP timestamp + 2 counters
constexpr size_t kFeedbackSsrcsSize = 8;  // sender SSRC + media SSRC
constexpr size_t kTransportCcFixedSize = kFeedbackSsrcsSize + 8;
constexpr size_t kRembFixedSize = kFeedbackSsrcsSize + 8;  // + "REMB" + count/exp/mantissa
constexpr uint8_t kRembIdentifier[4] = {'R', 'E', 'M', 'B'};

int32_t sign_extend_24(uint32_t value) { return static_cast<int32_t>(value << 8) >> 8; }

bool is_feedback(const RtcpHeader& header, RtcpPacketType type, uint8_t format) {
  return header.is(type) && header.format() == format && header.body.size() >= kFeedbackSsrcsSize;
}

bool has_remb_identifier(ByteSpan body) {
  return body.size() >= kFeedbackSsrcsSize + 4 &&
         std::equal(std::begin(kRembIdentifier), std::end(kRembIdentifier),
                    body.begin() + kFeedbackSsrcsSize);
}

// Packet status symbols of transport-cc feedback.
enum TransportCcSymbol : uint8_t { kNotReceived = 0, kSmallDelta = 1, kLargeDelta = 2, kReserved = 3 };

// Calls on_symbol(symbol) for the first `count` status symbols of the packet chunks starting at
// `position`, and leaves `position` after the last chunk used. Returns false if the chunks run
// out before `count` symbols; on_symbol may return false to abort.
template <typename F>
// NOLINTNEXTLINE(readability-function-cognitive-complexity): decodes the transport-cc run-length and status-vector chunk kinds in wire order.
bool walk_status_chunks(ByteSpan data, uint16_t count, size_t& position, F&& on_symbol) {
  size_t decoded = 0;
  while (decoded < count) {
    if (data.size() - position < 2) return false;
    const uint16_t chunk = load_be16(data.data() + position);
    position += 2;
    const size_t left = count - decoded;
    if ((chunk & 0x8000) == 0) {  // run length: symbol (2 bits), length (13 bits)
      const uint8_t symbol = static_cast<uint8_t>((chunk >> 13) & 0x03);
      const size_t run = std::min<size_t>(chunk & 0x1FFF, left);
      for (size_t i = 0; i < run; ++i) {
        if (!on_symbol(symbol)) return false;
      }
      decoded += run;
    } else if ((chunk & 0x4000) == 0) {  // status vector of 14 one-bit symbols
      const size_t n = std::min<size_t>(14, left);
      for (size_t i = 0; i < n; ++i) {
        if (!on_symbol(static_cast<uint8_t>((chunk >> (13 - i)) & 0x01))) return false;
      }
      decoded += n;
    } else {  // status vector of 7 two-bit symbols
      const size_t n = std::min<size_t>(7, left);
      for (size_t i = 0; i < n; ++i) {
        if (!on_symbol(static_cast<uint8_t>((chunk >> (12 - 2 * i)) & 0x03))) return false;
      }
      decoded += n;
    }
  }
  return true;
}

}  // namespace

ReportBlock ReportBlock::decode(const uint8_t* p) {
  ReportBlock block;
  block.ssrc = load_be32(p);
  block.fraction_lost = p[4];
  block.cumulative_lost = sign_extend_24(load_be24(p + 5));
  block.extended_highest_sequence = load_be32(p + 8);
  block.jitter = load_be32(p + 12);
  block.last_sr = load_be32(p + 16);
  block.delay_since_last_sr = load_be32(p + 20);
  return block;
}

void ReportBlock::encode(uint8_t* p) const {
  const int32_t lost = std::clamp<int32_t>(cumulative_lost, -0x800000, 0x7FFFFF);
  store_be32(p, ssrc);
  p[4] = fraction_lost;
  store_be24(p + 5, static_cast<uint32_t>(lost) & 0xFFFFFF);
  store_be32(p + 8, extended_highest_sequence);
  store_be32(p + 12, jitter);
  store_be32(p + 16, last_sr);
  store_be32(p + 20, delay_since_last_sr);
}

bool SdesItemReader::next(SdesItem& out) {
  const size_t size = body_.size();
  auto malformed = [this, size] {
    malformed_ = true;
    position_ = size;
    chunks_left_ = 0;
    in_chunk_ = false;
    return false;
  };
  while (true) {
    if (!in_chunk_) {
      if (chunks_left_ == 0) return false;
      if (size - position_ < 4) return malformed();
      ssrc_ = load_be32(body_.data() + position_);
      position_ += 4;
      --chunks_left_;
      in_chunk_ = true;
    }
    if (position_ >= size) return malformed();  // the chunk lacks its terminating null octet
    const uint8_t type = body_[position_];
    if (type == static_cast<uint8_t>(SdesItemType::kEnd)) {
      // The null octet, then null padding to the next 32-bit boundary (chunks start aligned).
      position_ = std::min(size, (position_ + 4) & ~size_t{3});
      in_chunk_ = false;
      continue;
    }
    if (size - position_ < 2) return malformed();
    const size_t length = body_[position_ + 1];
    if (size - position_ - 2 < length) return malformed();
    out.ssrc = ssrc_;
    out.type = type;
    out.text = std::string_view(reinterpret_cast<const char*>(body_.data() + position_ + 2), length);
    position_ += 2 + length;
    return true;
  }
}

std::optional<std::string_view> Sdes::cname(std::optional<uint32_t> ssrc) const {
  SdesItemReader reader = items();
  SdesItem item;
  while (reader.next(item)) {
    if (item.type == static_cast<uint8_t>(SdesItemType::kCname) && (!ssrc || item.ssrc == *ssrc)) {
      return item.text;
    }
  }
  return std::nullopt;
}

size_t GenericNack::lost_count() const {
  size_t count = 0;
  for (const NackItem item : items) count += 1 + static_cast<size_t>(std::popcount(item.lost_bitmask));
  return count;
}

size_t GenericNack::lost_sequence_numbers(std::span<uint16_t> out) const {
  size_t written = 0;
  for_each_lost([&](uint16_t seq) {
    if (written < out.size()) out[written++] = seq;
  });
  return written;
}

size_t TransportCc::decode(std::span<TransportCcPacketStatus> out) const {
  const size_t n = std::min<size_t>(status_count, out.size());
  size_t index = 0;
  size_t position = 0;
  // First the symbols (kept in delta_us for now), then the deltas that follow the chunks.
  const bool chunks_ok = walk_status_chunks(chunks_and_deltas, status_count, position, [&](uint8_t symbol) {
    if (index < n) {
      out[index] = {static_cast<uint16_t>(base_sequence + index), symbol != kNotReceived, symbol};
    }
    ++index;
    return symbol != kReserved;
  });
  if (!chunks_ok) return 0;
  const ByteSpan data = chunks_and_deltas;
  for (size_t i = 0; i < n; ++i) {
    const int32_t symbol = out[i].delta_us;
    out[i].delta_us = 0;
    if (symbol == kSmallDelta) {
      if (data.size() - position < 1) return i;
      out[i].delta_us = data[position] * kDeltaUnitUs;
      position += 1;
    } else if (symbol == kLargeDelta) {
      if (data.size() - position < 2) return i;
      out[i].delta_us = static_cast<int16_t>(load_be16(data.data() + position)) * kDeltaUnitUs;
      position += 2;
    }
  }
  return n;
}

std::optional<SenderReport> parse_sender_report(const RtcpHeader& header) {
  const ByteSpan body = header.body;
  const size_t blocks_size = ReportBlock::kSize * header.count;
  if (!header.is(RtcpPacketType::kSenderReport) || body.size() < kSenderInfoSize + blocks_size) {
    return std::nullopt;
  }
  SenderReport report;
  report.info.ssrc = load_be32(body.data());
  report.info.ntp_timestamp = load_be64(body.data() + 4);
  report.info.rtp_timestamp = load_be32(body.data() + 12);
  report.info.packet_count = load_be32(body.data() + 16);
  report.info.octet_count = load_be32(body.data() + 20);
  report.report_blocks = RtcpRecordList<ReportBlock>(body.subspan(kSenderInfoSize, blocks_size));
  report.profile_extension = body.subspan(kSenderInfoSize + blocks_size);
  return report;
}

std::optional<ReceiverReport> parse_receiver_report(const RtcpHeader& header) {
  const ByteSpan body = header.body;
  const size_t blocks_size = ReportBlock::kSize * header.count;
  if (!header.is(RtcpPacketType::kReceiverReport) || body.size() < 4 + blocks_size) return std::nullopt;
  ReceiverReport report;
  report.sender_ssrc = load_be32(body.data());
  report.report_blocks = RtcpRecordList<ReportBlock>(body.subspan(4, blocks_size));
  report.profile_extension = body.subspan(4 + blocks_size);
  return report;
}

std::optional<Sdes> parse_sdes(const RtcpHeader& header) {
  if (!header.is(RtcpPacketType::kSdes)) return std::nullopt;
  Sdes sdes{header.count, header.body};
  SdesItemReader reader = sdes.items();
  SdesItem item;
  while (reader.next(item)) {
  }
  if (reader.malformed()) return std::nullopt;
  return sdes;
}

std::optional<Bye> parse_bye(const RtcpHeader& header) {
  const ByteSpan body = header.body;
  const size_t ssrcs_size = 4 * static_cast<size_t>(header.count);
  if (!header.is(RtcpPacketType::kBye) || body.size() < ssrcs_size) return std::nullopt;
  Bye bye;
  bye.ssrcs = RtcpRecordList<uint32_t>(body.first(ssrcs_size));
  if (body.size() > ssrcs_size) {
    const size_t length = body[ssrcs_size];
    if (body.size() - ssrcs_size - 1 < length) return std::nullopt;
    bye.reason = std::string_view(reinterpret_cast<const char*>(body.data() + ssrcs_size + 1), length);
  }
  return bye;
}

std::optional<GenericNack> parse_generic_nack(const RtcpHeader& header) {
  const ByteSpan body = header.body;
  if (!is_feedback(header, RtcpPacketType::kRtpFeedback, kFmtGenericNack) ||
      body.size() < kFeedbackSsrcsSize + NackItem::kSize) {
    return std::nullopt;
  }
  return GenericNack{load_be32(body.data()), load_be32(body.data() + 4),
                     RtcpRecordList<NackItem>(body.subspan(kFeedbackSsrcsSize))};
}

std::optional<Pli> parse_pli(const RtcpHeader& header) {
  if (!is_feedback(header, RtcpPacketType::kPayloadFeedback, kFmtPli)) return std::nullopt;
  return Pli{load_be32(header.body.data()), load_be32(header.body.data() + 4)};
}

std::optional<Fir> parse_fir(const RtcpHeader& header) {
  const ByteSpan body = header.body;
  if (!is_feedback(header, RtcpPacketType::kPayloadFeedback, kFmtFir) ||
      body.size() < kFeedbackSsrcsSize + FirEntry::kSize) {
    return std::nullopt;
  }
  return Fir{load_be32(body.data()), load_be32(body.data() + 4),
             RtcpRecordList<FirEntry>(body.subspan(kFeedbackSsrcsSize))};
}

std::optional<Remb> parse_remb(const RtcpHeader& header) {
  const ByteSpan body = header.body;
  if (!is_feedback(header, RtcpPacketType::kPayloadFeedback, kFmtAfb) || body.size() < kRembFixedSize ||
      !has_remb_identifier(body)) {
    return std::nullopt;
  }
  const size_t ssrc_count = body[12];
  if (body.size() - kRembFixedSize < 4 * ssrc_count) return std::nullopt;
  const unsigned exponent = body[13] >> 2;
  const uint64_t mantissa = (static_cast<uint64_t>(body[13] & 0x03) << 16) | load_be16(body.data() + 14);
  Remb remb;
  remb.sender_ssrc = load_be32(body.data());
  remb.bitrate_bps = mantissa > (std::numeric_limits<uint64_t>::max() >> exponent)
                         ? std::numeric_limits<uint64_t>::max()
                         : mantissa << exponent;
  remb.ssrcs = RtcpRecordList<uint32_t>(body.subspan(kRembFixedSize, 4 * ssrc_count));
  return remb;
}

std::optional<TransportCc> parse_transport_cc(const RtcpHeader& header) {
  const ByteSpan body = header.body;
  if (!is_feedback(header, RtcpPacketType::kRtpFeedback, kFmtTransportCc) ||
      body.size() < kTransportCcFixedSize) {
    return std::nullopt;
  }
  TransportCc feedback;
  feedback.sender_ssrc = load_be32(body.data());
  feedback.media_ssrc = load_be32(body.data() + 4);
  feedback.base_sequence = load_be16(body.data() + 8);
  feedback.status_count = load_be16(body.data() + 10);
  feedback.reference_time = sign_extend_24(load_be24(body.data() + 12));
  feedback.feedback_count = body[15];
  feedback.chunks_and_deltas = body.subspan(kTransportCcFixedSize);
  if (feedback.status_count == 0) return std::nullopt;

  // Validate the whole FCI now: every status covered by a chunk, no reserved symbol, and enough
  // bytes for the deltas the symbols announce. Trailing bytes after the deltas are tolerated.
  size_t position = 0;
  size_t delta_bytes = 0;
  size_t received = 0;
  const bool chunks_ok =
      walk_status_chunks(feedback.chunks_and_deltas, feedback.status_count, position, [&](uint8_t symbol) {
        if (symbol == kReserved) return false;
        if (symbol != kNotReceived) {
          ++received;
          delta_bytes += symbol == kSmallDelta ? 1 : 2;
        }
        return true;
      });
  if (!chunks_ok || feedback.chunks_and_deltas.size() - position < delta_bytes) return std::nullopt;
  feedback.received_count = static_cast<uint16_t>(received);
  return feedback;
}

RtcpMessageKind classify_rtcp(const RtcpHeader& header) {
  switch (static_cast<RtcpPacketType>(header.packet_type)) {
    case RtcpPacketType::kSenderReport:
      return RtcpMessageKind::kSenderReport;
    case RtcpPacketType::kReceiverReport:
      return RtcpMessageKind::kReceiverReport;
    case RtcpPacketType::kSdes:
      return RtcpMessageKind::kSdes;
    case RtcpPacketType::kBye:
      return RtcpMessageKind::kBye;
    case RtcpPacketType::kRtpFeedback:
      if (header.format() == kFmtGenericNack) return RtcpMessageKind::kGenericNack;
      if (header.format() == kFmtTransportCc) return RtcpMessageKind::kTransportCc;
      return RtcpMessageKind::kOther;
    case RtcpPacketType::kPayloadFeedback:
      if (header.format() == kFmtPli) return RtcpMessageKind::kPli;
      if (header.format() == kFmtFir) return RtcpMessageKind::kFir;
      if (header.format() == kFmtAfb && has_remb_identifier(header.body)) return RtcpMessageKind::kRemb;
      return RtcpMessageKind::kOther;
    default:
      return RtcpMessageKind::kOther;
  }
}

}  // namespace sfu::rtp
