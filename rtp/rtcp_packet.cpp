#include "rtp/rtcp_packet.h"

namespace sfu::rtp {
namespace {

constexpr uint8_t kRtcpVersion = 2;
constexpr size_t kFeedbackHeaderSize = kRtcpHeaderSize + 8;  // + sender SSRC + media SSRC
constexpr size_t kFirEntrySize = 8;

bool is_feedback(uint8_t packet_type) {
  return packet_type == static_cast<uint8_t>(RtcpPacketType::kRtpFeedback) ||
         packet_type == static_cast<uint8_t>(RtcpPacketType::kPayloadFeedback);
}

// The packet's length field must describe exactly `packet`, so a caller cannot pass a compound
// (or a truncated packet) and have us write into whatever follows.
bool has_exact_length(ByteSpan packet) {
  return packet.size() >= kRtcpHeaderSize && (packet[0] >> 6) == kRtcpVersion &&
         4 * (static_cast<size_t>(load_be16(packet.data() + 2)) + 1) == packet.size();
}

}  // namespace

bool is_rtcp(ByteSpan data) {
  return data.size() >= kRtcpHeaderSize && (data[0] >> 6) == kRtcpVersion && data[1] >= 192 && data[1] <= 223;
}

const char* to_string(RtcpError error) {
  switch (error) {
    case RtcpError::kNone:
      return "none";
    case RtcpError::kEmpty:
      return "empty";
    case RtcpError::kTruncated:
      return "truncated";
    case RtcpError::kBadVersion:
      return "bad version";
    case RtcpError::kBadPadding:
      return "bad padding";
  }
  return "unknown";
}

bool RtcpCompoundIterator::next(RtcpHeader& out) {
  if (error_ != RtcpError::kNone || offset_ >= compound_.size()) return false;
  const size_t remaining = compound_.size() - offset_;
  const uint8_t* p = compound_.data() + offset_;
  auto fail = [this](RtcpError error) {
    error_ = error;
    offset_ = compound_.size();
    return false;
  };
  if (remaining < kRtcpHeaderSize) return fail(RtcpError::kTruncated);
  if ((p[0] >> 6) != kRtcpVersion) return fail(RtcpError::kBadVersion);
  const uint16_t length_words = load_be16(p + 2);
  const size_t size = 4 * (static_cast<size_t>(length_words) + 1);
  if (size > remaining) return fail(RtcpError::kTruncated);

  RtcpHeader header;
  header.padding = (p[0] & 0x20) != 0;
  header.count = p[0] & 0x1F;
  header.packet_type = p[1];
  header.length_words = length_words;
  header.offset = offset_;
  header.packet = compound_.subspan(offset_, size);
  size_t body_size = size - kRtcpHeaderSize;
  if (header.padding) {
    const size_t padding = body_size == 0 ? 0 : header.packet[size - 1];
    if (padding == 0 || padding > body_size) return fail(RtcpError::kBadPadding);
    body_size -= padding;
  }
  header.body = header.packet.subspan(kRtcpHeaderSize, body_size);
  offset_ += size;
  out = header;
  return true;
}

RtcpError validate_rtcp_compound(ByteSpan compound, size_t* packet_count) {
  RtcpCompoundIterator it(compound);
  RtcpHeader header;
  size_t count = 0;
  while (it.next(header)) ++count;
  if (packet_count) *packet_count = count;
  return it.error();
}

bool rewrite_feedback_media_ssrc(MutableByteSpan packet, uint32_t media_ssrc) {
  if (!has_exact_length(packet) || !is_feedback(packet[1]) || packet.size() < kFeedbackHeaderSize)
    return false;
  const uint8_t format = packet[0] & 0x1F;
  const bool payload_specific = packet[1] == static_cast<uint8_t>(RtcpPacketType::kPayloadFeedback);
  if (payload_specific && format == kFmtAfb) return false;
  if (payload_specific && format == kFmtFir) {
    // The FCI ends where the padding begins; only whole entries before it are rewritten.
    size_t end = packet.size();
    if (packet[0] & 0x20) {
      const size_t padding = packet[end - 1];
      if (padding == 0 || padding > end - kFeedbackHeaderSize) return false;
      end -= padding;
    }
    for (size_t offset = kFeedbackHeaderSize; offset + kFirEntrySize <= end; offset += kFirEntrySize) {
      store_be32(packet.data() + offset, media_ssrc);
    }
    return true;
  }
  store_be32(packet.data() + 8, media_ssrc);
  return true;
}

bool rewrite_feedback_sender_ssrc(MutableByteSpan packet, uint32_t sender_ssrc) {
  if (!has_exact_length(packet) || !is_feedback(packet[1]) || packet.size() < kFeedbackHeaderSize)
    return false;
  store_be32(packet.data() + 4, sender_ssrc);
  return true;
}

bool rewrite_sender_report_ssrc(MutableByteSpan packet, uint32_t sender_ssrc) {
  if (!has_exact_length(packet) || packet[1] != static_cast<uint8_t>(RtcpPacketType::kSenderReport) ||
      packet.size() < kRtcpHeaderSize + 24) {  // SSRC + sender info
    return false;
  }
  store_be32(packet.data() + 4, sender_ssrc);
  return true;
}

}  // namespace sfu::rtp
