#include "rtp/keyframe_detector.h"

#include <cstddef>

namespace sfu::rtp {
namespace {

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

// --- VP8 -----------------------------------------------------------------------------------------

constexpr uint8_t kVp8X = 0x80;
constexpr uint8_t kVp8S = 0x10;
constexpr uint8_t kVp8PidMask = 0x07;
constexpr uint8_t kVp8I = 0x80;
constexpr uint8_t kVp8L = 0x40;
constexpr uint8_t kVp8T = 0x20;
constexpr uint8_t kVp8K = 0x10;
constexpr uint8_t kVp8PictureIdM = 0x80;
constexpr size_t kVp8KeyFrameHeaderSize = 10;  // 3-byte frame tag, start code, width, height

// --- VP9 -----------------------------------------------------------------------------------------

constexpr uint8_t kVp9I = 0x80;
constexpr uint8_t kVp9P = 0x40;
constexpr uint8_t kVp9L = 0x20;
constexpr uint8_t kVp9F = 0x10;
constexpr uint8_t kVp9B = 0x08;
constexpr uint8_t kVp9V = 0x02;
constexpr uint8_t kVp9PictureIdM = 0x80;
constexpr uint8_t kVp9SsY = 0x10;
constexpr uint8_t kVp9SsG = 0x08;

// --- H.264 ---------------------------------------------------------------------------------------

constexpr uint8_t kH264ForbiddenBit = 0x80;
constexpr uint8_t kH264TypeMask = 0x1F;
constexpr uint8_t kH264Idr = 5;
constexpr uint8_t kH264Sps = 7;
constexpr uint8_t kH264StapA = 24;
constexpr uint8_t kH264FuA = 28;
constexpr uint8_t kH264FuStart = 0x80;

bool is_h264_key_nal_type(uint8_t type) { return type == kH264Idr || type == kH264Sps; }

// --- AV1 -----------------------------------------------------------------------------------------

constexpr uint8_t kAv1Z = 0x80;
constexpr uint8_t kAv1WShift = 4;
constexpr uint8_t kAv1WMask = 0x03;
constexpr uint8_t kAv1N = 0x08;
constexpr uint8_t kAv1ObuForbiddenBit = 0x80;
constexpr size_t kLeb128MaxBytes = 8;  // AV1 spec section 4.10.5

// Reads an unsigned LEB128 value at data[*offset], advancing *offset. False when it runs past the
// end or is longer than the AV1 limit.
bool read_leb128(ByteSpan data, size_t* offset, uint64_t* value) {
  *value = 0;
  for (size_t i = 0; i < kLeb128MaxBytes; ++i) {
    if (*offset >= data.size()) return false;
    const uint8_t byte = data[(*offset)++];
    *value |= static_cast<uint64_t>(byte & 0x7F) << (7 * i);
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace

VideoCodec video_codec_from_name(std::string_view name) {
  constexpr std::string_view kVideoPrefix = "video/";
  if (name.size() > kVideoPrefix.size() &&
      equals_ignore_case(name.substr(0, kVideoPrefix.size()), kVideoPrefix)) {
    name.remove_prefix(kVideoPrefix.size());
  }
  if (equals_ignore_case(name, "VP8")) return VideoCodec::VP8;
  if (equals_ignore_case(name, "VP9")) return VideoCodec::VP9;
  if (equals_ignore_case(name, "H264")) return VideoCodec::H264;
  if (equals_ignore_case(name, "AV1") || equals_ignore_case(name, "AV1X")) return VideoCodec::AV1;
  return VideoCodec::Unknown;
}

const char* to_string(VideoCodec codec) {
  switch (codec) {
    case VideoCodec::VP8:
      return "VP8";
    case VideoCodec::VP9:
      return "VP9";
    case VideoCodec::H264:
      return "H264";
    case VideoCodec::AV1:
      return "AV1";
    case VideoCodec::Unknown:
      break;
  }
  return "unknown";
}

bool is_keyframe_start(VideoCodec codec, ByteSpan payload) {
  switch (codec) {
    case VideoCodec::VP8:
      return is_vp8_keyframe_start(payload);
    case VideoCodec::VP9:
      return is_vp9_keyframe_start(payload);
    case VideoCodec::H264:
      return is_h264_keyframe_start(payload);
    case VideoCodec::AV1:
      return is_av1_keyframe_start(payload);
    case VideoCodec::Unknown:
      break;
  }
  return false;
}

bool is_vp8_keyframe_start(ByteSpan payload) {
  if (payload.empty()) return false;
  const uint8_t first = payload[0];
  if ((first & kVp8S) == 0 || (first & kVp8PidMask) != 0) return false;
  size_t offset = 1;
  if (first & kVp8X) {
    if (offset >= payload.size()) return false;
    const uint8_t extensions = payload[offset++];
    if (extensions & kVp8I) {
      if (offset >= payload.size()) return false;
      offset += (payload[offset] & kVp8PictureIdM) ? 2 : 1;
    }
    if (extensions & kVp8L) ++offset;
    if (extensions & (kVp8T | kVp8K)) ++offset;  // one byte holds TID, Y and KEYIDX
  }
  if (offset > payload.size() || payload.size() - offset < kVp8KeyFrameHeaderSize) return false;
  const uint8_t* frame = payload.data() + offset;
  const bool inter_frame = (frame[0] & 0x01) != 0;  // the P bit of the frame tag
  return !inter_frame && frame[3] == 0x9D && frame[4] == 0x01 && frame[5] == 0x2A;
}

// NOLINTNEXTLINE(readability-function-cognitive-complexity): follows the VP9 payload descriptor and uncompressed header bit by bit (RFC 9628).
bool is_vp9_keyframe_start(ByteSpan payload) {
  if (payload.empty()) return false;
  const uint8_t flags = payload[0];
  if ((flags & kVp9B) == 0 || (flags & kVp9P) != 0) return false;
  size_t offset = 1;
  if (flags & kVp9I) {
    if (offset >= payload.size()) return false;
    offset += (payload[offset] & kVp9PictureIdM) ? 2 : 1;
  }
  if (flags & kVp9L) {
    if (offset >= payload.size()) return false;
    const uint8_t layer = payload[offset++];
    const uint8_t spatial_id = (layer >> 1) & 0x07;
    if (spatial_id != 0) return false;
    if ((flags & kVp9F) == 0) ++offset;  // TL0PICIDX
  }
  // Reference indices (flexible mode) are only present when P=1, which was refused above.
  if (flags & kVp9V) {
    if (offset >= payload.size()) return false;
    const uint8_t ss = payload[offset++];
    const size_t spatial_layers = static_cast<size_t>(ss >> 5) + 1;
    if (ss & kVp9SsY) offset += 4 * spatial_layers;  // 16-bit width and height of each
    if (ss & kVp9SsG) {
      if (offset >= payload.size()) return false;
      const uint8_t pictures = payload[offset++];
      for (uint8_t i = 0; i < pictures; ++i) {
        if (offset >= payload.size()) return false;
        const size_t references = (payload[offset++] >> 2) & 0x03;
        offset += references;
      }
    }
  }
  return offset < payload.size();
}

bool is_h264_keyframe_start(ByteSpan payload) {
  if (payload.empty() || (payload[0] & kH264ForbiddenBit)) return false;
  const uint8_t type = payload[0] & kH264TypeMask;
  // A single NAL unit packet: its header, then at least one byte of it.
  if (type >= 1 && type <= 23) return payload.size() >= 2 && is_h264_key_nal_type(type);
  if (type == kH264StapA) {
    bool has_key_nal = false;
    size_t offset = 1;
    while (offset < payload.size()) {
      if (payload.size() - offset < 2) return false;
      const size_t nal_size = load_be16(payload.data() + offset);
      offset += 2;
      if (nal_size == 0 || nal_size > payload.size() - offset) return false;
      const uint8_t nal_header = payload[offset];
      if (nal_header & kH264ForbiddenBit) return false;
      if (is_h264_key_nal_type(nal_header & kH264TypeMask)) has_key_nal = true;
      offset += nal_size;
    }
    return has_key_nal;
  }
  if (type == kH264FuA) {
    if (payload.size() < 3) return false;  // indicator, FU header, at least one byte of NAL data
    const uint8_t fu_header = payload[1];
    return (fu_header & kH264FuStart) && is_h264_key_nal_type(fu_header & kH264TypeMask);
  }
  return false;  // STAP-B, MTAP and FU-B belong to the interleaved mode, which WebRTC does not use
}

bool is_av1_keyframe_start(ByteSpan payload) {
  if (payload.empty()) return false;
  const uint8_t header = payload[0];
  if ((header & kAv1N) == 0 || (header & kAv1Z) != 0) return false;
  const size_t element_count = (header >> kAv1WShift) & kAv1WMask;  // 0: each has a length field
  size_t offset = 1;
  size_t first_element = 0;
  size_t parsed = 0;
  while (offset < payload.size() && (element_count == 0 || parsed < element_count)) {
    size_t element_size = payload.size() - offset;  // the last of W elements has no length field
    if (element_count == 0 || parsed + 1 < element_count) {
      uint64_t length = 0;
      if (!read_leb128(payload, &offset, &length)) return false;
      if (length == 0 || length > payload.size() - offset) return false;
      element_size = static_cast<size_t>(length);
    }
    if (parsed == 0) first_element = offset;
    offset += element_size;
    ++parsed;
  }
  // Every byte belongs to an element, and there are as many elements as W says (if it says).
  if (parsed == 0 || offset != payload.size()) return false;
  if (element_count != 0 && parsed != element_count) return false;
  return (payload[first_element] & kAv1ObuForbiddenBit) == 0;
}

}  // namespace sfu::rtp
